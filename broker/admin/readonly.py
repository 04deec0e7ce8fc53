"""A ModelAdmin base for records of what happened: viewable, never added, edited or deleted.

The audit trail, the issuance ledger and the elevation requests are evidence;
the admin shows them and never changes them (an action that acts on them, such
as revoking, goes through the code that owns the record and is audited there).
"""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: viewable, never added, edited or deleted here."""

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
