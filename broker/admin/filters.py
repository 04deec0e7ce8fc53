"""Admin list pieces shared by the audit trail and the issuance ledger.

``TextFilter``: a search box in the filter sidebar for one field (a person, a
role), since a list of every username would be longer than the page.
``timestamp``: times with seconds and the zone, as an investigation needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html


class TextFilter(admin.SimpleListFilter):
    """Filter on ``field`` by what was typed (exact, case-insensitive)."""

    template = "admin/text_filter.html"
    field = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("", "")]  # never empty, or Django would hide the filter

    def has_output(self) -> bool:
        return True

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = (self.value() or "").strip()
        return queryset.filter(**{f"{self.field}__iexact": value}) if value else queryset

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        others = [
            (key, item)
            for key, values in changelist.get_filters_params().items()
            if key != self.parameter_name
            for item in (values if isinstance(values, list) else [values])
        ]
        yield {"value": self.value() or "", "others": others, "parameter": self.parameter_name,
               "clear": changelist.get_query_string(remove=[self.parameter_name])}  # fmt: skip


def text_filter(title: str, field: str, parameter: str) -> type[TextFilter]:
    return type(f"{parameter.title()}Filter", (TextFilter,), {"title": title, "field": field,
                                                              "parameter_name": parameter})  # fmt: skip


def timestamp(value: datetime | None) -> str:
    """``2026-11-29 19:12:03 UTC``: seconds and the zone, in the server's zone (UTC by default)."""
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %Z")


def outcome_badge(outcome: str) -> str:
    """The outcome in words with a class the admin stylesheet colours (denied and error rows stand out)."""
    kind = outcome if outcome in ("ok", "denied", "error") else "other"
    symbol = {"ok": "✓", "denied": "✕", "error": "!"}.get(kind, "·")
    return format_html('<span class="outcome outcome-{}">{} {}</span>', kind, symbol, outcome)


class MethodFilter(admin.SimpleListFilter):
    """The stored method codes, offered in words (``ModelBackend`` reads "Local password")."""

    title = "method"
    parameter_name = "method"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        from broker.labels import method_words

        codes = model_admin.get_queryset(request).exclude(method="").values_list("method", flat=True)
        return sorted(((code, method_words(code)) for code in set(codes)), key=lambda pair: pair[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(method=self.value()) if self.value() else queryset
