"""Refresh in batches: many sessions at once on a thread pool, each still locked, ledgered and audited."""

from __future__ import annotations

import pytest

from broker.models import AuditEvent
from federation import credcache, sts, tasks
from federation.credcache import refreshing
from federation.models import Issuance
from tests.apifixtures import age, api_token_of, issuing

SESSIONS = 6


@pytest.fixture(autouse=True)
def _pool_connections_closed():  # type: ignore[no-untyped-def]
    yield
    refreshing.close_connections()


def cached_sessions(api) -> list[credcache.SessionSpec]:  # type: ignore[no-untyped-def]
    """``SESSIONS`` sessions of the billing client (different lengths), all due for refresh."""
    from broker.apitokens.tokens import verify
    from federation.delivery import plan

    caller = verify(api_token_of(api), source_ip=None)
    specs = []
    for index in range(SESSIONS):
        seconds = 900 + 60 * index
        body = {"role": "prod-developer", "duration_seconds": seconds}
        assert api.post("/api/v1/sessions/", body, "application/json").status_code == 201
        spec = plan(caller, alias="prod-developer", duration_seconds=seconds, policy=None)
        age(spec, remaining=200)
        specs.append(spec)
    return specs


@pytest.mark.django_db(transaction=True)
def test_a_batch_leaves_one_ledger_row_and_one_audit_event_per_session(api, sts_calls):
    specs = cached_sessions(api)
    before_calls = issuing(sts_calls)
    issued_before = Issuance.objects.filter(purpose="api-refresh").count()

    outcomes = refreshing.refresh_many([spec.key_id for spec in specs])

    assert set(outcomes.values()) == {"refreshed"}
    assert issuing(sts_calls) - before_calls == SESSIONS
    ledger = Issuance.objects.filter(purpose="api-refresh")
    assert ledger.count() - issued_before == SESSIONS
    keys = {credcache.peek(spec).credentials.access_key_id for spec in specs}
    assert keys == set(ledger.values_list("access_key_id", flat=True))
    audited = AuditEvent.objects.filter(action="credentials.issued", detail__purpose="api-refresh")
    assert set(audited.values_list("access_key_id", flat=True)) == keys
    assert audited.count() == SESSIONS


@pytest.mark.django_db(transaction=True)
def test_a_batch_leaves_alone_a_key_another_worker_holds(api, sts_calls):
    specs = cached_sessions(api)
    held = specs[0]
    token = credcache.acquire(held.key_id)
    old = credcache.peek(held).credentials.access_key_id
    before_calls = issuing(sts_calls)

    outcomes = refreshing.refresh_many([spec.key_id for spec in specs])

    assert outcomes[held.key_id] == "busy"
    assert credcache.peek(held).credentials.access_key_id == old
    assert issuing(sts_calls) - before_calls == SESSIONS - 1
    credcache.release(held.key_id, token)
    assert refreshing.refresh_many([spec.key_id for spec in specs]) == {
        spec.key_id: "refreshed" if spec == held else "fresh" for spec in specs
    }


@pytest.mark.django_db(transaction=True)
def test_a_refresh_that_meets_sts_trouble_goes_on_alone_with_backoff(api, monkeypatch):
    specs = cached_sessions(api)[:2]
    queued = []

    def unavailable(**kwargs):  # type: ignore[no-untyped-def]
        raise sts.StsUnavailable("STS is throttling")

    monkeypatch.setattr("federation.actions._obtain", lambda *a, **k: unavailable())
    monkeypatch.setattr(tasks.refresh_session, "apply_async", lambda args, **k: queued.append(args[0]))

    assert tasks.refresh_batch([spec.key_id for spec in specs]) == {"retry": 2}
    assert sorted(queued) == sorted(spec.key_id for spec in specs)


@pytest.mark.django_db
def test_beat_queues_due_sessions_in_batches(monkeypatch, cache_redis):
    due = [f"{index:040x}" for index in range(tasks.CHUNK + 3)]
    monkeypatch.setattr(credcache, "due", lambda now, limit: due)
    monkeypatch.setattr(credcache, "postpone", lambda ids, until: None)
    batches = []
    monkeypatch.setattr(tasks.refresh_batch, "apply_async", lambda args, **k: batches.append(args[0]))

    assert tasks.refresh_due() == len(due)
    assert batches == [due[: tasks.CHUNK], due[tasks.CHUNK :]]
