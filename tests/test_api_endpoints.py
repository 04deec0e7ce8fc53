"""Each API endpoint's happy path, through HTTP, against moto and Redis."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from broker.models import AuditEvent
from federation.models import Issuance

NARROW = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
}


def expiration(text: str) -> datetime:
    assert text.endswith("Z"), text  # RFC 3339, UTC
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@pytest.mark.django_db
def test_roles_lists_what_the_client_may_use_capped_by_its_maximum(api):
    response = api.get("/api/v1/roles/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    roles = {role["alias"]: role for role in response.json()}
    assert set(roles) == {"prod-developer", "prod-s3-reader"}
    assert roles["prod-developer"] == {
        "alias": "prod-developer",
        "arn": "arn:aws:iam::123456789012:role/Developer",
        "account_id": "123456789012",
        "account_name": "Production",
        "method": "assume_role",
        "max_session_seconds": 7200,
    }
    assert roles["prod-s3-reader"]["method"] == "federation_token"


@pytest.mark.django_db
def test_sessions_issues_an_assumed_role_session_named_for_the_client(api):
    response = api.post("/api/v1/sessions/", {"role": "prod-developer"}, content_type="application/json")

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "Arn"}
    assert body["Arn"] == "arn:aws:sts::123456789012:assumed-role/Developer/api-billing"
    # The client's grant has no default length: one hour.
    left = expiration(body["Expiration"]) - datetime.now(UTC)
    assert timedelta(minutes=55) < left <= timedelta(hours=1)
    issuance = Issuance.objects.get()
    assert (issuance.username, issuance.purpose, issuance.access_key_id) == (
        "api:billing",
        "api",
        body["AccessKeyId"],
    )


@pytest.mark.django_db
def test_sessions_gives_up_to_the_clients_maximum(api):
    ok = api.post(
        "/api/v1/sessions/",
        {"role": "prod-developer", "duration_seconds": 7200},
        content_type="application/json",
    )
    over = api.post(
        "/api/v1/sessions/",
        {"role": "prod-developer", "duration_seconds": 7201},
        content_type="application/json",
    )

    assert ok.status_code == 201
    assert (
        timedelta(minutes=115) < expiration(ok.json()["Expiration"]) - datetime.now(UTC) <= timedelta(hours=2)
    )
    assert over.status_code == 400
    assert over.json() == {
        "error": "invalid_duration",
        "detail": "duration must be between 900 and 7200 seconds for prod-developer",
    }


@pytest.mark.django_db
def test_sessions_accepts_a_policy_that_narrows_the_role(api):
    response = api.post(
        "/api/v1/sessions/",
        {"role": "prod-developer", "duration_seconds": 900, "policy": json.dumps(NARROW)},
        content_type="application/json",
    )

    assert response.status_code == 201
    left = expiration(response.json()["Expiration"]) - datetime.now(UTC)
    assert left <= timedelta(seconds=900)


@pytest.mark.django_db
def test_sessions_issues_a_federation_token(api):
    response = api.post("/api/v1/sessions/", {"role": "prod-s3-reader"}, content_type="application/json")

    assert response.status_code == 201
    assert ":federated-user/" in response.json()["Arn"]


@pytest.mark.django_db
def test_container_credentials_answer_in_the_sdk_format(api):
    response = api.get("/api/v1/roles/prod-developer/credentials")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"}
    assert body["RoleArn"] == "arn:aws:iam::123456789012:role/Developer"
    assert expiration(body["Expiration"]) > datetime.now(UTC)


@pytest.mark.django_db
def test_the_bare_token_works_as_aws_sdks_send_it(aws, cache_redis, billing_token, client):
    response = client.get("/api/v1/roles/prod-developer/credentials", HTTP_AUTHORIZATION=billing_token)
    assert response.status_code == 200


@pytest.mark.django_db
def test_process_format_feeds_credential_process(api):
    response = api.get("/api/v1/roles/prod-developer/credentials?format=process")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert body["Version"] == 1


@pytest.mark.django_db
def test_console_url_returns_a_one_time_sign_in_link(api):
    response = api.post(
        "/api/v1/console-url/",
        {"role": "prod-developer", "duration_seconds": 3600},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert "Action=login" in body["url"] and "SigninToken=" in body["url"]
    assert expiration(body["expires_at"]) <= datetime.now(UTC) + timedelta(minutes=15)
    assert expiration(body["session_expires_at"]) > datetime.now(UTC) + timedelta(minutes=50)
    assert AuditEvent.objects.filter(action="console.url", actor="api:billing").count() == 1


@pytest.mark.django_db
def test_every_delivery_is_audited_without_the_secret(api):
    first = api.get("/api/v1/roles/prod-developer/credentials").json()
    api.get("/api/v1/roles/prod-developer/credentials")

    events = AuditEvent.objects.filter(action="credentials.delivered").order_by("id")
    assert [e.detail["source"] for e in events] == ["sts", "cache"]
    for event in events:
        assert (event.actor, event.role_alias, event.access_key_id) == (
            "api:billing",
            "prod-developer",
            first["AccessKeyId"],
        )
        assert event.detail["client"] == "billing"
        assert first["SecretAccessKey"] not in json.dumps(event.detail)
        assert first["Token"] not in json.dumps(event.detail)


@pytest.mark.django_db
def test_createapiclient_prints_the_token_last_and_grants_the_roles(grants):
    from tests.apifixtures import create_client

    token = create_client("exporter", "prod-readonly", max_session_seconds=900)

    assert token.startswith("brk_")
    from broker.apitokens.models import ApiClient

    exporter = ApiClient.objects.get(name="exporter")
    assert exporter.max_session_seconds == 900
    assert list(exporter.group.aws_grants.values_list("role__alias", flat=True)) == ["prod-readonly"]
    assert token not in json.dumps(list(exporter.tokens.values()), default=str)


@pytest.mark.django_db
def test_createapiclient_refuses_an_unknown_role(grants):
    from django.core.management.base import CommandError

    from tests.apifixtures import create_client

    with pytest.raises(CommandError, match="no such role: nope"):
        create_client("exporter", "nope")
