"""Admin for accounts, roles and grants; the ledger is read-only.

Grants are edited where an admin thinks of them: on the group (its roles) and
on the role (its groups). Policies are laid-out JSON, durations are in hours.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.urls import path
from django.utils.html import format_html_join

from broker.admin import ExternalIdentityInline
from broker.mfa.reset import reset_factors_action
from broker.mfa.stepup import step_up_required
from broker.principal import Principal
from federation import grantsadmin
from federation.access import entitlements, holders
from federation.adminfields import hours_text
from federation.adminforms import GrantForm, RoleForm
from federation.elevation.admin import ApprovalRuleInline
from federation.models import AwsAccount, Grant, Role
from federation.revocationadmin import deactivate_and_revoke, revoke_sessions


class StepUpForChanges(admin.ModelAdmin):
    """Adding, changing or deleting (grants are edited inline here) wants a recent second factor."""

    @step_up_required
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        return super().changeform_view(request, object_id, form_url, extra_context)

    @step_up_required
    def delete_view(self, request, object_id, extra_context=None):  # type: ignore[no-untyped-def]
        return super().delete_view(request, object_id, extra_context)

    @step_up_required(methods=["POST"])  # actions and bulk deletes; the list itself stays readable
    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        return super().changelist_view(request, extra_context)


class GrantInline(admin.StackedInline):
    """On a group: the roles it grants."""

    model = Grant
    form = GrantForm
    extra = 0
    autocomplete_fields = ["role"]
    show_change_link = True  # the grant's own page holds its approval rule (elevation)
    fields = [("role", "session_seconds", "require_mfa"), "session_policy"]
    verbose_name = "AWS role this group grants"
    verbose_name_plural = "AWS roles this group grants"


class GrantByRoleInline(admin.StackedInline):
    """On a role: the groups that hold it."""

    model = Grant
    form = GrantForm
    extra = 0
    autocomplete_fields = ["group"]
    fields = [("group", "session_seconds", "require_mfa"), "session_policy"]
    verbose_name = "grant to a group"
    show_change_link = True
    verbose_name_plural = "grants to groups"


@admin.register(AwsAccount)
class AwsAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "account_id", "partition", "admin_role_arn", "saml_provider_arn"]
    search_fields = ["name", "account_id"]


@admin.register(Role)
class RoleAdmin(StepUpForChanges):
    form = RoleForm
    list_display = ["alias", "account", "method", "maximum_session"]
    list_filter = ["account", "method"]
    search_fields = ["alias", "arn", "description", "account__name", "account__account_id"]
    inlines = [GrantByRoleInline]
    actions = [revoke_sessions]
    readonly_fields = ["who_can_reach_it"]
    fieldsets = [
        (None, {"fields": ["alias", "account", "description", "method", "max_session_seconds"]}),
        (
            "IAM role (AssumeRole, SSO)",
            {
                "fields": ["arn", "session_tags"],
                "description": "For a role in IAM: its ARN and optional session tags.",
            },
        ),
        (
            "Federated user (GetFederationToken)",
            {"fields": ["federation_policy"], "description": "Without a role ARN: the policy the user gets."},
        ),
        ("Who can reach it", {"fields": ["who_can_reach_it"]}),
    ]

    @admin.display(description="Maximum session", ordering="max_session_seconds")
    def maximum_session(self, role: Role) -> str:
        return f"{hours_text(role.max_session_seconds)} h"

    def get_urls(self) -> list:  # type: ignore[type-arg]
        wrap = self.admin_site.admin_view
        return [
            path("grants-file/export/", wrap(grantsadmin.export_view), name="federation_grants_export"),
            path(
                "grants-file/load/",
                wrap(lambda request: grantsadmin.load_view(request, self.admin_site)),
                name="federation_grants_load",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Who can reach it")
    def who_can_reach_it(self, role: Role) -> str:
        names = holders(role) if role.pk else []
        return ", ".join(names) or "nobody yet"


admin.site.unregister(Group)


@admin.register(Group)
class GroupWithGrantsAdmin(StepUpForChanges, GroupAdmin):
    """The group's AWS roles come first; Django's permission picker is folded away below the name."""

    inlines = [GrantInline]
    fieldsets = [
        (None, {"fields": ["name"]}),
        (
            "Django admin permissions (for staff groups only)",
            {
                "classes": ["collapse"],
                "fields": ["permissions"],
                "description": "What members may do in this admin. "
                "AWS access is the grants below, not these.",
            },
        ),
    ]


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


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    """A grant's own page, for its approval rule: with one the grant is eligible, not standing."""

    form = GrantForm
    list_display = ["group", "role", "session_seconds", "require_mfa", "eligible"]
    list_filter = ["role", "group"]
    search_fields = ["group__name", "role__alias"]
    autocomplete_fields = ["group", "role"]
    inlines = [ApprovalRuleInline]

    @admin.display(boolean=True, description="Needs approval")
    def eligible(self, grant: Grant) -> bool:
        return hasattr(grant, "approval")


# The issuance ledger (its own module: filters, "still valid", revoke), registered on import.
from federation import issuanceadmin  # noqa: E402,F401
