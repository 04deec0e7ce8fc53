"""The audit trail in the admin: filterable, exportable as JSON Lines, never editable."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import path
from django.utils import timezone

from broker import audit
from broker.auditexport import stream
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
    search_fields = ["actor", "role_alias", "access_key_id", "source_ip"]
    date_hierarchy = "created_at"
    actions = ["export_jsonl"]

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(self.export_filtered)
        return [path("export.jsonl", view, name="broker_auditevent_export"), *super().get_urls()]

    def export_filtered(self, request: HttpRequest) -> StreamingHttpResponse:
        """Everything the changelist shows under the same filters and search."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self._download(request, self.get_changelist_instance(request).get_queryset(request))

    @admin.action(description="Export the selected events as JSON Lines", permissions=["view"])
    def export_jsonl(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> StreamingHttpResponse:
        return self._download(request, queryset)

    def _download(self, request: HttpRequest, events: QuerySet[AuditEvent]) -> StreamingHttpResponse:
        audit.record_request("audit.exported", request, count=events.count(), filters=request.GET.urlencode())
        response = StreamingHttpResponse(stream(events), content_type="application/jsonl; charset=utf-8")
        name = f"audit-{timezone.now():%Y%m%dT%H%M%SZ}.jsonl"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response


# API clients and tokens (their own module, registered on import).
from broker.apitokens import admin as apitokens_admin  # noqa: E402,F401
