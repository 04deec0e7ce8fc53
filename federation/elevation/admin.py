"""Admin for elevation: the approval rule inline on a grant; requests with filters and their history.

Requests are read-only here except for one action, revoke, which goes
through ``states.revoke`` like the portal's button (audited, denied in AWS).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from broker.admin.readonly import ReadOnlyAdmin
from federation.elevation import states
from federation.elevation.models import AccessRequest, Approval, ApprovalRule, Notification, RequestEvent


class ApprovalRuleInline(admin.StackedInline):
    """On a grant: present means *eligible* (used only after approval), absent means standing."""

    model = ApprovalRule
    extra = 0
    max_num = 1
    filter_horizontal = ["approvers"]
    verbose_name_plural = "approval (makes this grant eligible: used only after approval)"


class ApprovalInline(admin.TabularInline):
    model = Approval
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "approver_name", "comment"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(ApprovalInline):
    model = RequestEvent
    fields = readonly_fields = ["at", "actor", "action", "from_state", "to_state", "comment"]
    verbose_name_plural = "history"


class NotificationInline(ApprovalInline):
    model = Notification
    fields = readonly_fields = ["created_at", "target", "subject", "attempts", "sent_at", "last_error"]


@admin.action(description="Revoke the selected active elevations (also denies their sessions in AWS)")
def revoke_elevations(modeladmin: Any, request: HttpRequest, queryset: QuerySet[AccessRequest]) -> None:
    from federation.elevation.views import actor_for

    actor = actor_for(request)
    for item in queryset.filter(state=states.ACTIVE):
        try:
            states.revoke(actor=actor, request_id=item.pk, comment="revoked from the admin")
        except states.RequestRefused as exc:
            messages.error(request, f"#{item.pk}: {exc}")
        else:
            messages.success(request, f"#{item.pk} revoked")


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "requester_name", "role_alias", "state", "ends_at", "denial"]
    list_filter = ["state", "role_alias", "requester_name", "created_at", "denial"]
    search_fields = ["requester_name", "role_alias", "justification", "ticket"]
    date_hierarchy = "created_at"
    inlines = [ApprovalInline, EventInline, NotificationInline]
    actions = [revoke_elevations]
