"""The audit trail in the admin: filterable, exportable as JSON Lines, never editable.

Investigators read it here and hand it to a SIEM: the download (selected
events, or everything under the current filters) writes the same JSON Lines
as ``manage.py exportaudit`` (``broker.auditexport``), and is itself audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import path
from django.utils import timezone

from broker import audit
from broker.admin.filters import MethodFilter, outcome_badge, text_filter, timestamp
from broker.admin.readonly import ReadOnlyAdmin
from broker.auditexport import stream
from broker.labels import method_words
from broker.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    # The outcome and address first: at 1280 px they used to fall off the right edge.
    list_display = ["when", "result", "action", "actor", "source_ip", "role_alias", "how", "access_key_id"]
    list_display_links = ["when"]
    list_filter = [
        "outcome",
        "action",
        text_filter("person", "actor", "person"),
        text_filter("role", "role_alias", "role"),
        MethodFilter,
        "created_at",
    ]
    search_fields = ["actor", "role_alias", "access_key_id", "source_ip"]
    date_hierarchy = "created_at"
    actions = ["export_jsonl"]

    @admin.display(description="Time", ordering="created_at")
    def when(self, event: AuditEvent) -> str:
        return timestamp(event.created_at)

    @admin.display(description="Outcome", ordering="outcome")
    def result(self, event: AuditEvent) -> str:
        return outcome_badge(event.outcome)

    @admin.display(description="Method", ordering="method")
    def how(self, event: AuditEvent) -> str:
        return method_words(event.method)

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
