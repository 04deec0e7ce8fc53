from django.urls import path

from federation import views

urlpatterns = [
    path("", views.portal, name="portal"),
    path("roles/<slug:alias>/console/", views.console, name="console"),
    path("roles/<slug:alias>/credentials/", views.credentials, name="credentials"),
    path("roles/<slug:alias>/favourite/", views.favourite, name="favourite"),
]
