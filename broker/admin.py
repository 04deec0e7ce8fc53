"""The audit trail in the admin: filterable, never editable."""

from __future__ import annotations

from django.contrib import admin

from broker.models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: viewable, never added, edited or deleted here."""

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "action",
        "actor",
        "role_alias",
        "method",
        "access_key_id",
        "outcome",
        "source_ip",
    ]
    list_filter = ["action", "outcome", "method"]
    search_fields = ["actor", "role_alias", "access_key_id"]
    date_hierarchy = "created_at"


# API clients and tokens (their own module, registered on import).
from broker import apiadmin  # noqa: E402,F401
