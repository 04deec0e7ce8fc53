"""The audit trail as JSON Lines, one event per line, for a SIEM.

The admin's download and ``manage.py exportaudit`` both write this shape;
the fields are the columns of ``AuditEvent`` (``detail`` as an object), in a
stable order, with times in RFC 3339 UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet

from broker.models import AuditEvent

CHUNK = 2000


def as_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "time": event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "action": event.action,
        "actor": event.actor,
        "source_ip": event.source_ip,
        "role_alias": event.role_alias,
        "method": event.method,
        "access_key_id": event.access_key_id,
        "outcome": event.outcome,
        "detail": event.detail,
    }


def lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    for event in events:
        yield json.dumps(as_dict(event), separators=(",", ":"), default=str) + "\n"


def select(
    *, since: datetime | None = None, until: datetime | None = None, action: str | None = None
) -> QuerySet[AuditEvent]:
    """Events in ``[since, until)``, optionally of one action, oldest first."""
    events = AuditEvent.objects.order_by("created_at", "id")
    if since is not None:
        events = events.filter(created_at__gte=since)
    if until is not None:
        events = events.filter(created_at__lt=until)
    if action:
        events = events.filter(action=action)
    return events


def stream(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """Lines for a possibly large queryset, read in chunks, oldest first."""
    return lines(events.order_by("created_at", "id").iterator(chunk_size=CHUNK))
