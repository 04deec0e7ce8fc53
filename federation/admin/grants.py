"""Grants in the admin: inline on a group and on a role, and on a page of their own.

Grants are edited where an admin thinks of them: on the group (its roles) and
on the role (its groups). A grant's own page holds its approval rule, which
makes it eligible (used only after approval) instead of standing.
"""

from __future__ import annotations

from django.contrib import admin

from federation.admin.forms import GrantForm
from federation.elevation.admin import ApprovalRuleInline
from federation.models import Grant


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
