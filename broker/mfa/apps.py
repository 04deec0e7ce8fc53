"""Django's admin app, with the broker's MFA-checking site as ``admin.site``."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "broker.mfa.admin_site.BrokerAdminSite"
