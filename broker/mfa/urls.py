from django.urls import path

from broker.mfa import passkeys, views

urlpatterns = [
    path("verify/", views.verify, name="mfa-verify"),
    path("enrol/", views.enrol, name="mfa-enrol"),
    path("remove/", views.remove, name="mfa-remove"),
    path("recovery/", views.recovery_codes, name="mfa-recovery"),
    path("passkeys/<int:pk>/remove/", views.remove_passkey, name="passkey-remove"),
    # Passkey ceremonies (JSON, called by static/passkeys.js).
    path("passkeys/register/begin/", passkeys.RegistrationBegin.as_view(), name="passkey-register-begin"),
    path(
        "passkeys/register/complete/",
        passkeys.RegistrationComplete.as_view(),
        name="passkey-register-complete",
    ),
    path("passkeys/verify/begin/", passkeys.AuthenticationBegin.as_view(), name="passkey-verify-begin"),
    path(
        "passkeys/verify/complete/", passkeys.AuthenticationComplete.as_view(), name="passkey-verify-complete"
    ),
]
