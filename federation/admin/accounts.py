"""AWS accounts in the admin: a plain list, searchable by name and account id.

An account holds what its roles share: the partition, the admin role the
broker assumes to revoke sessions there, the SAML provider of keyless roles.
Its own module so the roles' page (with its grants and step-up) stays apart.
"""

from __future__ import annotations

from django.contrib import admin

from federation.models import AwsAccount


@admin.register(AwsAccount)
class AwsAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "account_id", "partition", "admin_role_arn", "saml_provider_arn"]
    search_fields = ["name", "account_id"]
