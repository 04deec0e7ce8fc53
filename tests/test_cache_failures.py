"""When parts fail: Redis gone, no worker, STS erroring. Never stale, never expired, never a 500."""

from __future__ import annotations

import logging

import pytest
from botocore.stub import Stubber

from federation import chaining, sts
from tests.apifixtures import age, api_token_of, issuing, spec_for, start_redis
from tests.conftest import free_port

CREDENTIALS = "/api/v1/roles/prod-developer/credentials"


@pytest.fixture
def own_redis(settings):  # type: ignore[no-untyped-def]
    """A redis-server of this test's own, so the test can stop it."""
    port = free_port()
    server = start_redis(port)
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    yield server
    server.kill()
    server.wait(10)


@pytest.mark.django_db
def test_with_redis_stopped_mid_run_requests_go_to_sts_directly(aws, api, own_redis, sts_calls, caplog):
    first = api.get(CREDENTIALS).json()
    assert api.get(CREDENTIALS).json()["AccessKeyId"] == first["AccessKeyId"]
    assert issuing(sts_calls) == 1

    own_redis.kill()
    own_redis.wait(10)
    with caplog.at_level(logging.WARNING):
        answers = [api.get(CREDENTIALS) for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 200]
    keys = {a.json()["AccessKeyId"] for a in answers}
    assert first["AccessKeyId"] not in keys  # nothing stale served from anywhere
    assert issuing(sts_calls) == 3
    assert "calling STS directly" in caplog.text
    assert api.get("/api/v1/roles/").status_code == 200  # the rate limit steps aside too


@pytest.mark.django_db
def test_without_a_worker_a_request_refreshes_a_session_too_close_to_expiry(api, sts_calls):
    first = api.get(CREDENTIALS).json()
    spec = spec_for(api_token_of(api), "prod-developer")
    age(spec, remaining=600)  # less than half of the hour left: no longer served

    again = api.get(CREDENTIALS).json()

    assert again["AccessKeyId"] != first["AccessKeyId"]
    assert issuing(sts_calls) == 2
    assert api.get(CREDENTIALS).json()["AccessKeyId"] == again["AccessKeyId"]


def sts_down(count: int = 20) -> Stubber:
    chaining.cap()  # the broker's own identity is known before STS goes away
    stubber = Stubber(sts.client())
    for _ in range(count):
        stubber.add_client_error("assume_role", service_error_code="InternalFailure", http_status_code=400)
    stubber.activate()
    return stubber


@pytest.mark.django_db
def test_with_sts_down_cached_sessions_are_served_until_they_expire_then_503(api, sts_calls):
    first = api.get(CREDENTIALS).json()
    spec = spec_for(api_token_of(api), "prod-developer")
    stubber = sts_down()
    try:
        assert api.get(CREDENTIALS).json()["AccessKeyId"] == first["AccessKeyId"]  # a plain hit

        age(spec, remaining=600)  # due for renewal, still valid: served while STS is down
        assert api.get(CREDENTIALS).json()["AccessKeyId"] == first["AccessKeyId"]

        age(spec, remaining=30)  # about to expire: never handed out
        response = api.get(CREDENTIALS)
    finally:
        stubber.deactivate()

    assert response.status_code == 503
    assert response.json()["error"] == "sts_unavailable"
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_with_sts_down_a_cold_request_is_503_with_retry_after(api):
    stubber = sts_down()
    try:
        response = api.post("/api/v1/sessions/", {"role": "prod-developer"}, content_type="application/json")
    finally:
        stubber.deactivate()

    assert response.status_code == 503
    assert set(response.json()) == {"error", "detail"}
    assert response["Retry-After"] == "30"


@pytest.mark.django_db
def test_sts_refusing_the_role_is_403_not_500(api):
    chaining.cap()
    stubber = Stubber(sts.client())
    stubber.add_client_error("assume_role", service_error_code="AccessDenied", http_status_code=403)
    stubber.activate()
    try:
        response = api.get(CREDENTIALS)
    finally:
        stubber.deactivate()

    assert response.status_code == 403
    assert response.json()["error"] == "sts_refused"
