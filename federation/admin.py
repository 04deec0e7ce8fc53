"""Admin for accounts, roles and grants; the ledger is read-only."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.urls import path
from django.utils.html import format_html_join

from broker.admin import ReadOnlyAdmin
from broker.mfa.reset import reset_factors_action
from broker.mfa.stepup import step_up_required
from broker.principal import Principal
from federation import grantsadmin
from federation.access import entitlements, holders
from federation.models import AwsAccount, Grant, Issuance, Role
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


class GrantInline(admin.TabularInline):
    model = Grant
    extra = 0
    autocomplete_fields = ["role"]


class GrantByRoleInline(admin.TabularInline):
    model = Grant
    extra = 0
    autocomplete_fields = ["group"]
    verbose_name = "grant to a group"


@admin.register(AwsAccount)
class AwsAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "account_id", "partition", "admin_role_arn"]
    search_fields = ["name", "account_id"]


@admin.register(Role)
class RoleAdmin(StepUpForChanges):
    list_display = ["alias", "account", "method", "max_session_seconds"]
    list_filter = ["account"]
    search_fields = ["alias", "arn", "description", "account__name", "account__account_id"]
    inlines = [GrantByRoleInline]
    actions = [revoke_sessions]
    readonly_fields = ["who_can_reach_it"]

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
    inlines = [GrantInline]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserWithRolesAdmin(UserAdmin):
    readonly_fields = [*UserAdmin.readonly_fields, "reachable_roles"]
    actions = [deactivate_and_revoke, reset_factors_action]
    fieldsets = [*UserAdmin.fieldsets, ("AWS access", {"fields": ["reachable_roles"]})]

    @admin.display(description="Roles this user can reach")
    def reachable_roles(self, user) -> str:  # type: ignore[no-untyped-def]
        if not user.pk:
            return "—"
        mine = entitlements(Principal.from_user(user))
        return (
            format_html_join(", ", "{} ({})", ((e.role.alias, e.role.account.name) for e in mine)) or "none"
        )


@admin.register(Issuance)
class IssuanceAdmin(ReadOnlyAdmin):
    list_display = [
        "issued_at",
        "username",
        "role_alias",
        "method",
        "purpose",
        "access_key_id",
        "expires_at",
        "source_ip",
    ]
    list_filter = ["method", "purpose", "role_alias"]
    search_fields = ["username", "role_alias", "access_key_id"]
    date_hierarchy = "issued_at"
