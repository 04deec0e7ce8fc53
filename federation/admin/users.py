"""Users in the admin, replacing Django's page: the roles a user can reach, and the kill switch.

The page answers "what AWS access does this person have?" through the same
access decision the portal uses, lists their linked OIDC identities, and
offers the kill switch (deactivate and revoke) and the reset of their second
factors as actions.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.html import format_html_join

from broker.admin.identities import ExternalIdentityInline
from broker.mfa.reset import reset_factors_action
from broker.principal import Principal
from federation.access import entitlements
from federation.admin.revocation import deactivate_and_revoke

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserWithRolesAdmin(UserAdmin):
    readonly_fields = [*UserAdmin.readonly_fields, "reachable_roles"]
    actions = [deactivate_and_revoke, reset_factors_action]
    inlines = [ExternalIdentityInline]
    fieldsets = [*UserAdmin.fieldsets, ("AWS access", {"fields": ["reachable_roles"]})]

    @admin.display(description="Roles this user can reach")
    def reachable_roles(self, user) -> str:  # type: ignore[no-untyped-def]
        if not user.pk:
            return "—"
        mine = entitlements(Principal.from_user(user))
        return (
            format_html_join(", ", "{} ({})", ((e.role.alias, e.role.account.name) for e in mine)) or "none"
        )
