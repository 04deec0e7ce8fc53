"""Metrics, request ids and JSON log lines, as an operator sees them."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from broker.logformat import JsonFormatter, RequestContextFilter, request_id
from tests.conftest import signed_in


def sample(text: str, name: str) -> float:
    """The value of one exposition line, named with its labels."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.fixture
def staff_client(admin_user) -> Client:  # type: ignore[no-untyped-def]
    return signed_in(admin_user)


@pytest.mark.django_db
def test_metrics_count_what_happened(aws, staff_client, alice_client, client, alice):
    def scrape() -> str:
        response = staff_client.get("/metrics")
        assert response.status_code == 200
        return response.content.decode()

    calls = 'broker_sts_request_seconds_count{operation="assume_role"}'
    failed = 'broker_signins_total{method="password",outcome="failed"}'
    before = scrape()
    alice_client.post("/roles/prod-developer/console/")
    client.post("/login/", {"username": "alice", "password": "wrong"})
    after = scrape()

    assert sample(after, calls) == sample(before, calls) + 1
    issued = 'broker_issuances_total{method="assume_role",outcome="ok",purpose="console"}'
    assert sample(after, issued) == sample(before, issued) + 1
    assert sample(after, failed) == sample(before, failed) + 1
    assert 'broker_celery_queue_depth{queue="celery"}' in after


@pytest.mark.django_db
def test_metrics_are_protected(client, alice_client, settings):
    assert client.get("/metrics").status_code == 403
    assert alice_client.get("/metrics").status_code == 403
    settings.BROKER_METRICS_TOKEN = "scrape-token-for-tests"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-for-tests").status_code == 200


@pytest.mark.django_db
def test_every_response_carries_a_request_id(client):
    generated = client.get("/healthz")["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234abcd")["X-Request-ID"] == "lb-1234abcd"
    assert client.get("/healthz", HTTP_X_REQUEST_ID="bad id\n")["X-Request-ID"] != "bad id\n"


def test_json_lines_carry_the_request_context():
    record = logging.makeLogRecord(
        {"name": "federation", "levelno": 20, "levelname": "INFO", "msg": "issued %s"}
    )
    record.args = ("prod-developer",)
    token = request_id.set("req-123456")
    try:
        RequestContextFilter().filter(record)
    finally:
        request_id.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "issued prod-developer"
    assert line["request_id"] == "req-123456"
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")


@pytest.mark.django_db
def test_readiness_summarises_aws_and_the_directory_without_failing_on_them(aws, client, monkeypatch):
    from broker import reachability
    from federation import sts

    reachability.forget()
    ready = client.get("/readyz").json()
    assert ready["dependencies"] == {"directory": "off", "sts": "reachable"}

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    sts.reset()
    reachability.forget()
    answer = client.get("/readyz")
    assert answer.status_code == 200  # AWS being down is no reason to pull this node
    assert answer.json()["dependencies"]["sts"] == "unreachable"
    assert "AWS_SECRET" not in answer.content.decode()
    reachability.forget()


@pytest.mark.django_db
def test_cache_hits_and_misses_are_counted(api, staff_client):
    def scrape() -> str:
        return staff_client.get("/metrics").content.decode()

    miss, hit = 'broker_credential_cache_total{result="sts"}', 'broker_credential_cache_total{result="cache"}'
    before = scrape()
    for _ in range(3):
        assert api.get("/api/v1/roles/prod-developer/credentials").status_code == 200
    after = scrape()

    assert sample(after, miss) == sample(before, miss) + 1
    assert sample(after, hit) == sample(before, hit) + 2


@pytest.mark.django_db
def test_a_refresh_records_how_far_ahead_of_expiry_it_ran(api, staff_client):
    from federation import delivery
    from tests.apifixtures import age, api_token_of, spec_for

    count = "broker_refresh_lag_seconds_count"
    lead = 'broker_refresh_lag_seconds_bucket{le="900.0"}'
    api.get("/api/v1/roles/prod-developer/credentials")
    spec = spec_for(api_token_of(api), "prod-developer")
    age(spec, remaining=600)
    before = staff_client.get("/metrics").content.decode()

    assert delivery.refresh(key_id=spec.key_id) == "refreshed"

    after = staff_client.get("/metrics").content.decode()
    assert sample(after, count) == sample(before, count) + 1
    assert sample(after, lead) == sample(before, lead) + 1  # about 600 s ahead: at most 900 s...
    short = 'broker_refresh_lag_seconds_bucket{le="300.0"}'
    assert sample(after, short) == sample(before, short)  # ...and more than 300 s
