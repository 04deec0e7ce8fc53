"""Transitions racing each other end in one consistent state (threads on a real database).

Each transition holds the request's row (``SELECT ... FOR UPDATE``); on
PostgreSQL (``DATABASE_URL=postgres://...``) these threads really run at
once. SQLite has no row locks: it serialises whole write transactions, and
its shared in-memory test database answers a second writer "locked" at
once, so there these tests are skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from federation.elevation import states
from federation.elevation.models import AccessRequest, Approval, RequestEvent
from tests.elevation_support import eligible_grants
from tests.test_elevation_aws import actor
from tests.test_revocation import clean_roles  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks need PostgreSQL"),
]


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; each returns its result or its exception."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            start.wait(timeout=10)
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def consistent_history(request: AccessRequest) -> list[str]:
    """Each event starts where the one before it ended; returns the actions."""
    events = list(RequestEvent.objects.filter(request=request).order_by("at", "pk"))
    for before, after in zip(events, events[1:], strict=False):
        assert after.from_state == before.to_state, (before, after)
    assert events[-1].to_state == request.state
    return [event.action for event in events]


def pending(alice) -> AccessRequest:  # type: ignore[no-untyped-def]
    return states.request_elevation(
        actor=actor(alice), alias="prod-readonly", duration_seconds=3600, justification="race"
    )


def test_two_approvals_at_once_with_a_quorum_of_one_activate_once(eligible, alice, dave, erin):
    assert connection.vendor == "postgresql"
    request = pending(alice)

    results = at_once(
        lambda: states.approve(actor=actor(dave), request_id=request.pk),
        lambda: states.approve(actor=actor(erin), request_id=request.pk),
    )

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], states.RequestConflict)
    request.refresh_from_db()
    assert request.state == "active" and Approval.objects.filter(request=request).count() == 1
    assert consistent_history(request) == ["requested", "approved"]


def test_two_approvals_at_once_with_a_quorum_of_two_both_count(grants, alice, dave, erin):
    eligible_grants(approvals=2)
    request = pending(alice)

    results = at_once(
        lambda: states.approve(actor=actor(dave), request_id=request.pk),
        lambda: states.approve(actor=actor(erin), request_id=request.pk),
    )

    assert not [r for r in results if isinstance(r, Exception)]
    request.refresh_from_db()
    assert request.state == "active" and request.approvals.count() == 2
    assert consistent_history(request) == ["requested", "approved", "approved"]


@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.usefixtures("clean_roles")
def test_approve_racing_a_cancel_ends_cancelled_either_way(aws, eligible, alice, dave, attempt):
    request = pending(alice)

    at_once(
        lambda: states.cancel(actor=actor(alice), request_id=request.pk),
        lambda: states.approve(actor=actor(dave), request_id=request.pk),
    )

    request.refresh_from_db()
    assert request.state == "cancelled"
    history = consistent_history(request)
    if "approved" in history:  # approved first, then cancelled while active: AWS deny scheduled
        assert history == ["requested", "approved", "cancelled", "aws_deny"] and request.denial == "applied"
    else:
        assert history == ["requested", "cancelled"] and not request.approvals.exists()
