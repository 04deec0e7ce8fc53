"""Fixtures for just-in-time elevation: an eligible grant and the people around it.

On top of the demo estate: ``developers`` (alice) are *eligible* for
prod-readonly (the ReadOnly role, which auditors such as bob hold standing),
approved by one member of ``leads`` (dave, erin), justification required,
at most two hours. carol is in no group: an approver outside the groups.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from federation.elevation.models import AccessRequest
from federation.grantsfile import load
from tests.conftest import DEMO_GRANTS, make_user, signed_in

ELIGIBLE = """
  - group: developers
    role: prod-readonly
    approval:
      approvers: [leads]
      approvals: {approvals}
      max_seconds: 7200
      justification: required
"""


def eligible_grants(approvals: int = 1) -> None:
    load(DEMO_GRANTS.read_text(encoding="utf-8") + ELIGIBLE.format(approvals=approvals))


@pytest.fixture
def eligible(grants) -> None:  # type: ignore[no-untyped-def]
    eligible_grants()


@pytest.fixture
def dave(eligible) -> User:  # type: ignore[no-untyped-def]
    return make_user("dave", "leads")


@pytest.fixture
def erin(eligible) -> User:  # type: ignore[no-untyped-def]
    return make_user("erin", "leads")


@pytest.fixture
def dave_client(dave: User) -> Client:
    return signed_in(dave)


@pytest.fixture
def erin_client(erin: User) -> Client:
    return signed_in(erin)


def ask(client: Client, alias: str = "prod-readonly", **form: Any) -> Any:
    """POST the portal's request form (an hour, with a reason, unless told otherwise)."""
    body = {"duration_seconds": "3600", "justification": "INC-42: the pager fired", "ticket": "INC-42"}
    return client.post(f"/roles/{alias}/request/", {**body, **form})


def latest() -> AccessRequest:
    return AccessRequest.objects.order_by("-pk").first()


def decide(client: Client, request: AccessRequest, action: str, comment: str = "looks right") -> Any:
    return client.post(f"/requests/{request.pk}/{action}/", {"comment": comment})


@pytest.fixture
def elevated(eligible, alice_client: Client, dave_client: Client) -> AccessRequest:  # type: ignore[no-untyped-def]
    """alice asked for prod-readonly for an hour and dave approved: active."""
    ask(alice_client)
    request = latest()
    decide(dave_client, request, "approve")
    request.refresh_from_db()
    assert request.state == AccessRequest.State.ACTIVE
    return request


@pytest.fixture
def move_time(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], datetime]:
    """Move ``timezone.now`` (what the broker reads) forward; nothing sleeps."""
    real = timezone.now
    offset = [timedelta(0)]
    monkeypatch.setattr(timezone, "now", lambda: real() + offset[0])

    def forward(by: timedelta) -> datetime:
        offset[0] += by
        return timezone.now()

    return forward
