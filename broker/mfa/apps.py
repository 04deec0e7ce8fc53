"""Django's admin, with the broker's MFA-checking site as ``admin.site``; and the MFA app."""

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "broker.mfa.admin_site.BrokerAdminSite"


class MfaConfig(AppConfig):
    """The second-factor app itself: recovery codes (passkeys are django-otp-webauthn's models)."""

    name = "broker.mfa"
    label = "mfa"
    verbose_name = "Second factor"
    default_auto_field = "django.db.models.BigAutoField"
