"""Write audit events. The one way any module records what happened."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest

from broker.models import AuditEvent
from broker.netaddr import client_ip

# Who is acting in this request or command, for events raised deep inside
# model signals that cannot see the request (set by AuditContextMiddleware).
current_actor: ContextVar[tuple[str, str | None]] = ContextVar("audit_actor", default=("", None))


def record(
    action: str,
    *,
    actor: str = "",
    source_ip: str | None = None,
    role_alias: str = "",
    method: str = "",
    access_key_id: str = "",
    outcome: str = "ok",
    **detail: Any,
) -> AuditEvent:
    default_actor, default_ip = current_actor.get()
    return AuditEvent.objects.create(
        action=action,
        actor=(actor or default_actor)[:255],
        source_ip=source_ip or default_ip or None,
        role_alias=role_alias,
        method=method,
        access_key_id=access_key_id,
        outcome=outcome,
        detail=detail,
    )


def record_request(action: str, request: HttpRequest, **fields: Any) -> AuditEvent:
    """Audit with the actor and address taken from the request."""
    fields.setdefault("actor", getattr(request.user, "username", "") or "")
    return record(action, source_ip=client_ip(request), **fields)
