from django.urls import path

from broker.saml import views

urlpatterns = [
    path("metadata/", views.metadata, name="saml-metadata"),
    path("login/", views.login, name="saml-login"),
    path("acs/", views.acs, name="saml-acs"),
    path("complete/", views.complete, name="saml-complete"),
    path("sls/", views.sls, name="saml-sls"),
]
