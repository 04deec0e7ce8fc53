"""A flood of bad API tokens: limited per source address before any database write, audited as one
event per address and window, and every 401 says how to authenticate (``WWW-Authenticate``).

It used to be a free write channel: 200 bad tokens, 200 audit rows, no 429.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from broker import audit
from broker.apitokens import failures
from broker.apitokens.models import ApiToken
from broker.audit import AuditUnavailable
from broker.models import AuditEvent
from tests.apifixtures import api_token_of, bearer, wait_until
from tests.conftest import free_port

CREDENTIALS = "/api/v1/roles/prod-developer/credentials"
LIMIT = 5


def forged(n: int) -> str:
    return f"brk_{n:012x}_{'x' * 43}"


def refused_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="api.refused"))


@pytest.fixture
def limited(settings, cache_redis):  # type: ignore[no-untyped-def]
    settings.BROKER_API_AUTH_FAILURES = f"{LIMIT}/hour"  # an hour's window: a test never straddles two


def flood(count: int, **client_options: str) -> list:  # type: ignore[type-arg]
    return [bearer(forged(n)).get(CREDENTIALS, **client_options) for n in range(count)]


def at_a_second_start() -> None:
    """Wait for a new second, so a flood in one-second windows stays in one."""
    time.sleep(1 - time.time() % 1)


@pytest.mark.django_db
def test_a_flood_of_bad_tokens_is_limited_and_writes_no_row_per_attempt(api, limited):
    answers = flood(12)

    assert [a.status_code for a in answers] == [401] * LIMIT + [429] * (12 - LIMIT)
    assert answers[-1].json()["error"] == "too_many_failures"
    assert 1 <= int(answers[-1]["Retry-After"]) <= 3600
    assert refused_events() == []  # nothing written while the window is open


@pytest.mark.django_db
def test_a_closed_window_is_audited_as_one_event_with_counts_times_and_prefixes(api, limited):
    flood(12)
    assert failures.flush() == 0  # the window is still open

    assert failures.flush(now=time.time() + 3601) == 1
    assert failures.flush(now=time.time() + 3601) == 0  # written once

    [event] = refused_events()
    detail = event.detail
    assert (event.source_ip, event.outcome) == ("127.0.0.1", "denied")
    assert (detail["count"], detail["failed"], detail["limited"]) == (12, LIMIT, 12 - LIMIT)
    assert detail["tokens"] == sorted(forged(n)[:16] for n in range(LIMIT))  # brk_<lookup> only
    assert detail["reasons"] == {"invalid_token": LIMIT}
    assert detail["first"] <= detail["last"] and detail["window_seconds"] == 3600
    assert "x" * 43 not in str(detail)


@pytest.mark.django_db
def test_over_the_limit_even_a_good_token_is_refused_before_any_database_query(api, limited):
    flood(LIMIT)

    with CaptureQueriesContext(connection) as queries:
        response = api.get(CREDENTIALS)

    assert response.status_code == 429
    assert [q["sql"] for q in queries] == []  # no token lookup, no audit row, no ledger row


@pytest.mark.django_db
def test_a_good_token_works_again_in_the_next_window(api, settings):
    settings.BROKER_API_AUTH_FAILURES = "2/second"
    at_a_second_start()
    flood(3)
    assert api.get(CREDENTIALS).status_code == 429

    time.sleep(1.05)

    assert api.get(CREDENTIALS).status_code == 200


@pytest.mark.django_db
def test_requests_without_a_token_count_too(api, limited):
    answers = [Client().get(CREDENTIALS) for _ in range(LIMIT + 1)]

    assert [a.status_code for a in answers] == [401] * LIMIT + [429]
    failures.flush(now=time.time() + 3601)
    assert refused_events()[0].detail["reasons"] == {"not_authenticated": LIMIT}


@pytest.mark.django_db
def test_addresses_are_limited_apart(api, limited):
    flood(LIMIT + 1, REMOTE_ADDR="192.0.2.1")

    assert bearer(forged(99)).get(CREDENTIALS, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert bearer(forged(99)).get(CREDENTIALS, REMOTE_ADDR="192.0.2.2").status_code == 401


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_limited(api, limited, settings):
    settings.BROKER_TRUST_PROXY = True
    flood(LIMIT, HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert bearer(forged(99)).get(CREDENTIALS, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert bearer(forged(99)).get(CREDENTIALS, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 401
    failures.flush(now=time.time() + 3601)
    assert {e.source_ip for e in refused_events()} == {"203.0.113.7", "203.0.113.8"}


@pytest.mark.django_db
def test_without_proxy_trust_a_forged_forwarded_for_does_not_escape_the_limit(api, limited):
    answers = [
        bearer(forged(n)).get(CREDENTIALS, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}") for n in range(LIMIT + 2)
    ]

    assert answers[-1].status_code == 429


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["missing", "malformed", "unknown", "wrong secret", "revoked", "expired"])
def test_every_401_carries_www_authenticate(api, limited, kind):
    token = api_token_of(api)
    if kind == "revoked":
        ApiToken.objects.update(revoked_at=timezone.now())
    if kind == "expired":
        ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    sent = {
        "missing": None,
        "malformed": "nonsense",
        "unknown": forged(1),
        "wrong secret": token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
        "revoked": token,
        "expired": token,
    }[kind]

    response = (Client() if sent is None else bearer(sent)).get(CREDENTIALS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="aws-identity-broker"')
    if sent is not None:
        assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.django_db
def test_with_redis_down_the_limit_steps_aside_and_each_refusal_is_audited_alone(
    api, limited, settings, caplog
):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"

    with caplog.at_level(logging.WARNING):
        answers = flood(LIMIT + 2)

    assert [a.status_code for a in answers] == [401] * (LIMIT + 2)  # not enforced, the API keeps answering
    assert len(refused_events()) == LIMIT + 2  # kept, not aggregated, while Redis is away
    assert "failed-authentication limit not enforced" in caplog.text


@pytest.mark.django_db
def test_a_window_the_audit_refuses_is_kept_for_the_next_flush(api, limited, monkeypatch):
    flood(3)

    def refuse(*args: object) -> None:
        raise __import__("django.db").db.DatabaseError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(audit, "_insert", refuse)
        with pytest.raises(AuditUnavailable):
            failures.flush(now=time.time() + 3601)

    assert failures.flush(now=time.time() + 3601) == 1
    assert refused_events()[0].detail["count"] == 3


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_writes_the_event_on_a_real_worker(api, settings, celery_worker):
    from broker.apitokens.tasks import flush_auth_failures

    settings.BROKER_API_AUTH_FAILURES = "3/second"
    at_a_second_start()
    began = time.time()
    flood(4)
    one_window = int(time.time()) == int(began)  # a loaded machine may straddle two windows
    time.sleep(1.05)  # the window has closed

    flush_auth_failures.delay()

    def written() -> list[dict]:
        details = [e.detail for e in AuditEvent.objects.filter(action="api.refused")]
        return details if sum(d["count"] for d in details) >= 4 else []

    events = wait_until(written)
    assert sum(d["count"] for d in events) == 4
    assert all(d["count"] == d["failed"] + d["limited"] for d in events)
    if one_window:
        assert [(d["count"], d["failed"], d["limited"]) for d in events] == [(4, 3, 1)]
