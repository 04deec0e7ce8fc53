"""Refresh ahead: a real Celery worker renews sessions in use before anyone waits on STS."""

from __future__ import annotations

import time

import pytest

from federation import credcache, delivery, tasks
from federation.credcache import keys as cache_keys
from tests.apifixtures import age, api_token_of, issuing, spec_for, wait_until

CREDENTIALS = "/api/v1/roles/prod-developer/credentials"


@pytest.mark.django_db(transaction=True)
def test_the_worker_refreshes_a_session_near_expiry_before_any_client_asks(api, celery_worker, sts_calls):
    first = api.get(CREDENTIALS).json()
    spec = spec_for(api_token_of(api), "prod-developer")
    age(spec, remaining=1900)  # still served (over half an hour left), but inside the refresh lead

    tasks.refresh_due.delay()
    fresh = wait_until(
        lambda: (e := credcache.peek(spec)) and e.credentials.access_key_id != first["AccessKeyId"] and e,
        message="the worker did not refresh the session",
    )
    assert issuing(sts_calls) == 2  # the worker's call

    answer = api.get(CREDENTIALS).json()
    assert answer["AccessKeyId"] == fresh.credentials.access_key_id
    assert issuing(sts_calls) == 2  # the client was served from the cache
    assert fresh.remaining(time.time()) > 3500


@pytest.mark.django_db
def test_beat_has_the_refresh_on_a_schedule_that_expires(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-cached-sessions"]
    assert entry["task"] == tasks.refresh_due.name
    assert entry["options"]["expires"] < entry["schedule"]


@pytest.mark.django_db
def test_a_session_no_one_asks_for_is_let_go(api, cache_redis):
    api.get(CREDENTIALS)
    spec = spec_for(api_token_of(api), "prod-developer")
    age(spec, remaining=1000, used=False)
    cache_redis.hset(cache_keys.key("m", spec.key_id), "last_used", f"{time.time() - 7200:.0f}")

    assert delivery.refresh(key_id=spec.key_id) == "idle"
    assert credcache.due(time.time() + 86400, limit=10) == []
    assert credcache.peek(spec) is not None  # kept until it expires, just not renewed


@pytest.mark.django_db
def test_a_revoked_clients_sessions_are_dropped_not_refreshed(api, billing, sts_calls):
    api.get(CREDENTIALS)
    spec = spec_for(api_token_of(api), "prod-developer")
    age(spec, remaining=1000)
    billing.is_active = False
    billing.save()

    assert delivery.refresh(key_id=spec.key_id) == "revoked"
    assert credcache.peek(spec) is None
    assert issuing(sts_calls) == 1


@pytest.mark.django_db
def test_refresh_is_idempotent_and_one_at_a_time_per_key(api, sts_calls):
    api.get(CREDENTIALS)
    spec = spec_for(api_token_of(api), "prod-developer")

    assert delivery.refresh(key_id=spec.key_id) == "fresh"  # not due: nothing to do
    age(spec, remaining=1000)
    token = credcache.acquire(spec.key_id)  # another worker (or a request) holds the key
    assert delivery.refresh(key_id=spec.key_id) == "busy"
    credcache.release(spec.key_id, token)
    assert delivery.refresh(key_id=spec.key_id) == "refreshed"
    assert delivery.refresh(key_id=spec.key_id) == "fresh"
    assert issuing(sts_calls) == 2


@pytest.mark.django_db
def test_refresh_due_claims_what_it_queues(api):
    api.get(CREDENTIALS)
    spec = spec_for(api_token_of(api), "prod-developer")
    age(spec, remaining=1000)

    assert credcache.due(time.time(), limit=10) == [spec.key_id]
    credcache.postpone([spec.key_id], time.time() + 60)
    assert credcache.due(time.time(), limit=10) == []
