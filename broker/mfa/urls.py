from django.urls import path

from broker.mfa import views

urlpatterns = [
    path("verify/", views.verify, name="mfa-verify"),
    path("enrol/", views.enrol, name="mfa-enrol"),
    path("remove/", views.remove, name="mfa-remove"),
]
