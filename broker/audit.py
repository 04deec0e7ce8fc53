"""Write audit events. The one way any module records what happened.

The trail is a precondition, not a side effect: when a row cannot be
written, ``record`` raises ``AuditUnavailable`` and whatever it would have
recorded must not happen (the portal and the API answer 503 "audit trail
unavailable" and hand out no credential). Each write runs in its own
savepoint inside a caller's transaction, so a failed insert never poisons
it (outside one, a single INSERT in autocommit mode is atomic as it is), and a
busy database ("database is locked" under bursts on SQLite) is retried a
few times outside a transaction rather than lost.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

from django.db import DatabaseError, OperationalError, transaction
from django.http import HttpRequest
from django.utils import timezone

from broker.models import AuditEvent
from broker.netaddr import client_ip
from broker.prepared import PreparedInsert

ATTEMPTS = 5

# Who is acting in this request or command, for events raised deep inside
# model signals that cannot see the request (set by AuditContextMiddleware).
current_actor: ContextVar[tuple[str, str | None]] = ContextVar("audit_actor", default=("", None))


class AuditUnavailable(Exception):
    """The audit trail could not be written; the action it describes must not go ahead."""

    status = 503
    code = "audit_unavailable"

    def __init__(self, action: str) -> None:
        super().__init__(
            f"the audit trail could not be written ({action}), so nothing was handed out; try again shortly"
        )
        self.action = action


def _retryable(exc: DatabaseError, attempt: int) -> bool:
    busy = isinstance(exc, OperationalError) and not transaction.get_connection().in_atomic_block
    return busy and attempt < ATTEMPTS - 1


# Every API delivery writes one: an INSERT written once, not built by Model.save each time.
_insert = PreparedInsert(
    AuditEvent,
    [
        "created_at",
        "action",
        "actor",
        "source_ip",
        "role_alias",
        "method",
        "access_key_id",
        "outcome",
        "detail",
    ],
)


def _write(fields: dict[str, Any], *, savepoint: bool = True) -> None:
    fields["created_at"] = timezone.now()
    for attempt in range(ATTEMPTS):
        connection = transaction.get_connection()
        try:
            if not connection.in_atomic_block:
                return _insert(connection, fields)  # one INSERT in autocommit: atomic as it is
            # a savepoint, so a failure leaves the caller's transaction usable (unless it need not be)
            with transaction.atomic(savepoint=savepoint):
                return _insert(connection, fields)
        except DatabaseError as exc:
            if not _retryable(exc, attempt):
                raise AuditUnavailable(fields["action"]) from exc
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def record(
    action: str,
    *,
    actor: str = "",
    source_ip: str | None = None,
    role_alias: str = "",
    method: str = "",
    access_key_id: str = "",
    outcome: str = "ok",
    savepoint: bool = True,
    **detail: Any,
) -> None:
    """One audit row; ``AuditUnavailable`` when it cannot be written.

    Inside a transaction the INSERT gets a savepoint, so a caller that carries
    on after ``AuditUnavailable`` still has a usable transaction. A caller
    whose whole transaction must fail with the row (a ledger row and its event:
    both or neither) passes ``savepoint=False``: two round trips fewer on every
    issuance, refreshes included.
    """
    default_actor, default_ip = current_actor.get()
    _write(
        {
            "action": action,
            "actor": (actor or default_actor)[:255],
            "source_ip": source_ip or default_ip or None,
            "role_alias": role_alias[:64],
            "method": method,
            "access_key_id": access_key_id,
            "outcome": outcome,
            "detail": detail,
        },
        savepoint=savepoint,
    )


def record_request(action: str, request: HttpRequest, **fields: Any) -> None:
    """Audit with the actor and address taken from the request."""
    fields.setdefault("actor", getattr(request.user, "username", "") or "")
    record(action, source_ip=client_ip(request), **fields)
