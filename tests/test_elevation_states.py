"""The state machine as a table: every action from every state, through the real transitions.

The expected table is written out here, not read from ``states.TRANSITIONS``,
so a change to the machine has to change this test too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from federation.elevation import states
from federation.elevation.models import AccessRequest
from tests.test_elevation_aws import actor

ALL = ["pending", "active", "denied", "expired", "revoked", "cancelled"]
EXPECTED = {
    ("approve", "pending"): "active",
    ("deny", "pending"): "denied",
    ("cancel", "pending"): "cancelled",
    ("expire", "pending"): "expired",
    ("cancel", "active"): "cancelled",
    ("revoke", "active"): "revoked",
    ("expire", "active"): "expired",
}
CASES = [(action, state) for action in ("approve", "deny", "cancel", "revoke", "expire") for state in ALL]


def in_state(alice, state: str) -> AccessRequest:  # type: ignore[no-untyped-def]
    """A request of alice's for prod-readonly, put straight into ``state`` and due for expiry."""
    request = states.request_elevation(
        actor=actor(alice), alias="prod-readonly", duration_seconds=3600, justification="table"
    )
    past = timezone.now() - timedelta(seconds=1)
    AccessRequest.objects.filter(pk=request.pk).update(
        state=state, pending_until=past, starts_at=past, ends_at=past if state != "pending" else None
    )
    return request


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "state"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_each_action_from_each_state(eligible, alice, dave, action, state):
    request = in_state(alice, state)
    if action in ("approve", "deny"):  # a decision needs a live pending request
        AccessRequest.objects.filter(pk=request.pk).update(pending_until=timezone.now() + timedelta(hours=1))
    who = {"approve": dave, "deny": dave, "revoke": dave, "cancel": alice}
    expected = EXPECTED.get((action, state))

    if action == "expire":
        done = states.expire(request_id=request.pk)
        assert (done is not None) == (expected is not None)
    elif expected is None:
        with pytest.raises(states.RequestConflict):
            getattr(states, action)(actor=actor(who[action]), request_id=request.pk)
    else:
        getattr(states, action)(actor=actor(who[action]), request_id=request.pk)
    request.refresh_from_db()
    assert request.state == (expected or state)


def test_the_machine_names_exactly_these_moves():
    moves = {
        (action, before): to for action, table in states.TRANSITIONS.items() for before, to in table.items()
    }
    assert moves == EXPECTED


def test_only_early_ends_of_active_elevations_are_denied_in_aws():
    assert {("cancel", "active"), ("revoke", "active")} == states.EARLY_ENDS
