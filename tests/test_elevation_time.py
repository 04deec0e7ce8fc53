"""No credential outlives an elevation, and elevations end on time.

Issued sessions are cut at the elevation's end through every door (portal,
API, the cache, the refresh worker); a start under 900 s before the end is
refused with the reason; the beat task expires active elevations and
unanswered requests once the clock has moved past them (the clock is moved,
nothing sleeps).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from broker.models import AuditEvent
from federation import credcache, delivery
from federation.elevation import tasks
from federation.elevation.models import AccessRequest
from tests.apifixtures import bearer
from tests.elevation_support import ask, latest
from tests.test_elevation_flow import personal_token

State = AccessRequest.State
TOLERANCE = timedelta(seconds=2)  # moto's clock and ours are the same machine's; rounding only


def ends_in(request: AccessRequest, seconds: int) -> datetime:
    """Move the elevation's end to ``seconds`` from now (as if approved earlier)."""
    request.ends_at = timezone.now() + timedelta(seconds=seconds)
    request.save(update_fields=["ends_at"])
    return request.ends_at


def expiry_on_page(page: str) -> datetime:
    stamp = re.search(r'<time datetime="([^"]+)"', page)
    assert stamp is not None
    return datetime.fromisoformat(stamp[1]).astimezone(UTC)


def parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@pytest.mark.django_db
def test_portal_credentials_end_with_the_elevation(aws, elevated, alice_client):
    end = ends_in(elevated, 1200)

    page = alice_client.post("/roles/prod-readonly/credentials/", {"duration": "3600"}, follow=True)

    assert page.status_code == 200
    expiry = expiry_on_page(page.content.decode())
    assert end - timedelta(seconds=60) < expiry <= end + TOLERANCE


@pytest.mark.django_db
def test_api_and_cached_sessions_end_with_the_elevation(aws, cache_redis, elevated, alice):
    end = ends_in(elevated, 1500)
    api = bearer(personal_token(alice))

    first = api.get("/api/v1/roles/prod-readonly/credentials")
    again = api.get("/api/v1/roles/prod-readonly/credentials")

    assert first.status_code == again.status_code == 200
    assert first.json()["AccessKeyId"] == again.json()["AccessKeyId"]  # the second came from the cache
    for answer in (first, again):
        assert end - timedelta(seconds=60) < parse(answer.json()["Expiration"]) <= end + TOLERANCE
    sources = AuditEvent.objects.filter(action="credentials.delivered").values_list(
        "detail__source", flat=True
    )
    assert sorted(sources) == ["cache", "sts"]


@pytest.mark.django_db
def test_a_cached_session_is_not_served_once_the_elevation_is_over(
    aws, cache_redis, elevated, alice, move_time
):
    api = bearer(personal_token(alice))
    assert api.get("/api/v1/roles/prod-readonly/credentials").status_code == 200

    move_time(timedelta(hours=1, seconds=1))

    answer = api.get("/api/v1/roles/prod-readonly/credentials")
    assert (answer.status_code, answer.json()["error"]) == (403, "role_not_available")


@pytest.mark.django_db
def test_refresh_cuts_at_the_end_then_stops(aws, cache_redis, elevated, alice):
    api = bearer(personal_token(alice))
    api.get("/api/v1/roles/prod-readonly/credentials")
    [key_id] = credcache.due(time.time() + 86400, limit=10)

    end = ends_in(elevated, 1000)
    near_its_end(key_id)
    assert delivery.refresh(key_id=key_id) == "refreshed"
    refreshed = credcache.peek(_spec(key_id))
    assert refreshed is not None and refreshed.credentials.expiration <= end + TOLERANCE

    ends_in(elevated, 600)  # under AWS's 900 s minimum: no session after this one
    near_its_end(key_id)
    assert delivery.refresh(key_id=key_id) == "ending"
    assert credcache.due(time.time() + 86400, limit=10) == []


def near_its_end(key_id: str) -> None:
    """Put back the cached session as it will be two minutes before it expires."""
    import dataclasses

    spec = _spec(key_id)
    entry = credcache.peek(spec)
    now = time.time()
    aged = dataclasses.replace(entry.credentials, expiration=datetime.fromtimestamp(now + 120, tz=UTC))
    credcache.store(spec, credcache.Entry(credentials=aged, issued_at=now - 3480), used=False)


def _spec(key_id: str) -> credcache.SessionSpec:
    from broker.apitokens.tokens import subject_caller

    meta = credcache.metadata(key_id)
    caller = subject_caller(meta["subject"])
    return delivery.plan(caller, alias=meta["alias"], duration_seconds=int(meta["duration"]), policy=None)


@pytest.mark.django_db
def test_a_start_under_900_seconds_before_the_end_is_refused_with_the_reason(aws, elevated, alice_client):
    ends_in(elevated, 600)

    page = alice_client.post("/roles/prod-readonly/credentials/")

    assert page.status_code == 400
    assert "under the shortest session AWS issues (900 s): no new session can start" in page.content.decode()


@pytest.mark.django_db
def test_the_beat_task_expires_an_active_elevation_when_time_has_moved_past_it(
    aws, elevated, alice_client, move_time
):
    assert tasks.expire_due() == 0  # nothing is due yet
    move_time(timedelta(hours=1, minutes=1))

    assert tasks.expire_due() == 1
    assert tasks.expire_due() == 0  # idempotent
    elevated.refresh_from_db()
    assert elevated.state == State.EXPIRED
    assert alice_client.post("/roles/prod-readonly/console/").status_code == 403
    assert AuditEvent.objects.filter(action="elevation.expired", actor="system").count() == 1


@pytest.mark.django_db
def test_an_unanswered_request_expires_after_the_configured_time(
    eligible, alice_client, dave_client, settings, move_time
):
    settings.BROKER_ELEVATION_PENDING_SECONDS = 600
    ask(alice_client)
    request = latest()

    move_time(timedelta(seconds=601))
    late = dave_client.post(f"/requests/{request.pk}/approve/")
    tasks.expire_due()

    assert late.status_code == 409 and "expired unanswered" in late.content.decode()
    request.refresh_from_db()
    assert request.state == State.EXPIRED
