"""The issuance ledger in the admin: readable, filterable, and "still valid" sessions revocable.

Read-only like the audit trail; the one action goes through
``federation.revocation`` (the same steps as the role action), so it is
audited there.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from broker.admin.filters import MethodFilter, text_filter, timestamp
from broker.admin.readonly import ReadOnlyAdmin
from broker.labels import method_words
from federation.admin.revocation import revoke_issued_sessions
from federation.models import Issuance


class ValidityFilter(admin.SimpleListFilter):
    title = "validity"
    parameter_name = "valid"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Still valid"), ("no", "Expired")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Issuance]) -> QuerySet[Issuance]:
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(expires_at__gt=now)
        if self.value() == "no":
            return queryset.filter(expires_at__lte=now)
        return queryset


@admin.register(Issuance)
class IssuanceAdmin(ReadOnlyAdmin):
    list_display = [
        "issued",
        "username",
        "role_alias",
        "how",
        "purpose",
        "expires",
        "access_key_id",
        "source_ip",
    ]
    list_filter = [
        ValidityFilter,
        text_filter("person", "username", "person"),
        text_filter("role", "role_alias", "role"),
        "purpose",
        MethodFilter,
        "issued_at",
    ]
    search_fields = ["username", "role_alias", "access_key_id", "source_ip"]
    date_hierarchy = "issued_at"
    actions = [revoke_issued_sessions]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("federation.change_role")

    @admin.display(description="Issued", ordering="issued_at")
    def issued(self, issuance: Issuance) -> str:
        return timestamp(issuance.issued_at)

    @admin.display(description="Expires", ordering="expires_at")
    def expires(self, issuance: Issuance) -> str:
        if issuance.expires_at > timezone.now():
            return format_html(
                '<span class="still-valid">{} (still valid)</span>', timestamp(issuance.expires_at)
            )
        return timestamp(issuance.expires_at)

    @admin.display(description="Method", ordering="method")
    def how(self, issuance: Issuance) -> str:
        return method_words(issuance.method)
