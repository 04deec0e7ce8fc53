from django.urls import path

from federation import views
from federation.samlidp.views import metadata_view

urlpatterns = [
    path("", views.portal, name="portal"),
    path("roles/<slug:alias>/console/", views.console, name="console"),
    path("roles/<slug:alias>/credentials/", views.credentials, name="credentials"),
    path("roles/<slug:alias>/favourite/", views.favourite, name="favourite"),
    path("aws/saml/metadata/", metadata_view, name="aws-saml-metadata"),
]
