from django.urls import path

from broker.oidc import views

urlpatterns = [
    path("login/", views.login, name="oidc-login"),
    path("callback/", views.callback, name="oidc-callback"),
    path("logout/", views.logout, name="oidc-logout"),
]
