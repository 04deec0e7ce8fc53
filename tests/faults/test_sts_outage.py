"""STS unreachable: cached sessions are served by any process, new or old; nothing asks STS per request.

A process "started during the outage" is this process with everything it
learned forgotten (``sts.reset``, ``chaining.reset``) and AWS_ENDPOINT_URL
pointing at a port nothing listens on; ``test_deployed.py`` does the same
with a real gunicorn restarted while its moto is stopped.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from federation import chaining, sts
from federation.models import CHAINED_SESSION_SECONDS
from tests.apifixtures import wait_until
from tests.conftest import free_port

CREDENTIALS = "/api/v1/roles/prod-developer/credentials"
COLD = "/api/v1/roles/prod-s3-reader/credentials"
UNKNOWN = "role chaining unknown"


def count_calls(calls: Counter[str]) -> None:
    def count(model: Any, **kwargs: Any) -> None:
        calls[model.name] += 1

    sts.client().meta.events.register("before-call.sts", count)


@pytest.fixture
def new_process_in_an_outage(monkeypatch: pytest.MonkeyPatch, settings) -> Iterator[Counter[str]]:  # type: ignore[no-untyped-def]
    """Forget what this process learned and point STS at a closed port; counts the calls attempted."""
    settings.BROKER_STS_MAX_ATTEMPTS = 1
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    sts.reset()
    chaining.reset()
    calls: Counter[str] = Counter()
    count_calls(calls)
    yield calls
    sts.reset()
    chaining.reset()


@pytest.mark.django_db
def test_a_process_started_during_an_outage_serves_a_cached_session(api, settings, request):
    warm = api.get(CREDENTIALS).json()  # an earlier process learned the broker's identity and cached this
    calls = request.getfixturevalue("new_process_in_an_outage")

    answers = [api.get(CREDENTIALS) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert {a.json()["AccessKeyId"] for a in answers} == {warm["AccessKeyId"]}
    assert calls["GetCallerIdentity"] == 1  # asked once for the whole process, not per request


@pytest.mark.django_db
def test_a_two_hour_session_is_found_again_by_a_new_process_in_an_outage(api, request):
    """Its length, and so its cache key, depends on the chaining answer: remembered in Redis, not guessed."""
    body = {"role": "prod-developer", "duration_seconds": 7200}
    warm = api.post("/api/v1/sessions/", body, content_type="application/json").json()
    request.getfixturevalue("new_process_in_an_outage")

    again = api.post("/api/v1/sessions/", body, content_type="application/json")

    assert again.status_code == 201, again.content
    assert again.json()["AccessKeyId"] == warm["AccessKeyId"]


@pytest.mark.django_db
def test_a_cold_request_during_an_outage_is_503_with_retry_after(api, request):
    api.get(CREDENTIALS)
    request.getfixturevalue("new_process_in_an_outage")

    response = api.get(COLD)

    assert response.status_code == 503
    assert response.json()["error"] == "sts_unavailable"
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
@pytest.mark.parametrize(("mode", "cap"), [("false", None), ("true", CHAINED_SESSION_SECONDS)])
def test_a_configured_answer_never_asks_sts(api, settings, request, mode, cap):
    settings.BROKER_ROLE_CHAINING = mode
    warm = api.get(CREDENTIALS).json()
    calls = request.getfixturevalue("new_process_in_an_outage")

    assert chaining.cap() == cap
    assert api.get(CREDENTIALS).json()["AccessKeyId"] == warm["AccessKeyId"]
    assert calls["GetCallerIdentity"] == 0


@pytest.mark.django_db
def test_with_nothing_known_the_cap_is_one_hour_logged_once(cache_redis, request, caplog):
    calls = request.getfixturevalue("new_process_in_an_outage")

    with caplog.at_level(logging.WARNING, logger="federation.chaining"):
        caps = [chaining.cap() for _ in range(5)]

    assert caps == [CHAINED_SESSION_SECONDS] * 5  # the safe side: AWS refuses longer if chained
    assert caplog.text.count(UNKNOWN) == 1
    assert calls["GetCallerIdentity"] == 1


@pytest.mark.django_db
def test_the_question_is_asked_again_in_the_background_once_sts_is_back(
    aws, cache_redis, monkeypatch, settings
):
    settings.BROKER_STS_MAX_ATTEMPTS = 1
    live = sts.client().meta.endpoint_url
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    sts.reset()
    chaining.reset()
    assert chaining.cap() == CHAINED_SESSION_SECONDS  # unknown: capped

    monkeypatch.setenv("AWS_ENDPOINT_URL", live)  # STS is back
    sts.reset()
    monkeypatch.setattr(chaining, "RETRY_SECONDS", 0)
    chaining._state.next_try = 0

    assert chaining.cap() == CHAINED_SESSION_SECONDS  # this call does not wait for the answer...
    wait_until(lambda: chaining.cap() is None, message="the background question never settled it")


@pytest.mark.django_db
def test_a_process_that_learned_it_before_the_outage_keeps_serving(api, sts_calls):
    """The case that already held: an old process, warm cache, STS gone."""
    from tests.test_cache_failures import sts_down

    warm = api.get(CREDENTIALS).json()
    stubber = sts_down()
    try:
        again = api.get(CREDENTIALS)
    finally:
        stubber.deactivate()

    assert again.status_code == 200 and again.json()["AccessKeyId"] == warm["AccessKeyId"]
