"""Roles in the admin: the role's page with its grants, who can reach it, and the grants file.

A role's page edits its grants inline (to groups), shows a session length in
hours and lists who can reach the role; changes want step-up. The grants-file
download and upload pages hang under the role list's URLs
(``admin:federation_grants_export``, ``admin:federation_grants_load``).
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from federation.access import holders
from federation.admin import grantsfile
from federation.admin.fields import hours_text
from federation.admin.forms import RoleForm
from federation.admin.grants import GrantByRoleInline
from federation.admin.revocation import revoke_sessions
from federation.admin.stepup import StepUpForChanges
from federation.models import Role


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
            path("grants-file/export/", wrap(grantsfile.export_view), name="federation_grants_export"),
            path(
                "grants-file/load/",
                wrap(lambda request: grantsfile.load_view(request, self.admin_site)),
                name="federation_grants_load",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Who can reach it")
    def who_can_reach_it(self, role: Role) -> str:
        names = holders(role) if role.pk else []
        return ", ".join(names) or "nobody yet"
