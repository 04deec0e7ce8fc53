"""Who the API turns away, and how: the contract's {error, detail} with the right status."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from broker.apitokens import failures, tokens
from broker.apitokens.models import ApiToken
from broker.models import AuditEvent
from tests.apifixtures import bearer, create_client

CREDENTIALS = "/api/v1/roles/prod-developer/credentials"


def refused(response, status: int, error: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"] == error
    return body


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/roles/", CREDENTIALS])
def test_no_token_is_401_with_a_bearer_challenge(aws, cache_redis, path):
    response = Client().get(path)
    refused(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "token",
    ["nonsense", "brk_", "brk_000000000000_" + "x" * 43, "Bearer"],
)
def test_a_wrong_token_is_401(api, billing_token, token):
    refused(bearer(token).get(CREDENTIALS), 401, "invalid_token")


@pytest.mark.django_db
def test_a_token_with_a_changed_secret_is_401_and_audited(api, billing_token):
    forged = billing_token[:-4] + ("AAAA" if not billing_token.endswith("AAAA") else "BBBB")

    refused(bearer(forged).get(CREDENTIALS), 401, "invalid_token")
    failures.flush(now=time.time() + 3600)  # refusals are audited once per address and window
    event = AuditEvent.objects.get(action="api.refused")
    assert event.detail["tokens"] == [billing_token[:16]]
    assert billing_token not in str(event.detail)


@pytest.mark.django_db
def test_a_revoked_token_stops_at_once(api, billing_token):
    assert api.get(CREDENTIALS).status_code == 200
    tokens.revoke(ApiToken.objects.get(), actor="admin")

    refused(api.get(CREDENTIALS), 401, "invalid_token")


@pytest.mark.django_db
def test_a_revoked_client_stops_at_once(api, billing):
    assert api.get(CREDENTIALS).status_code == 200
    billing.is_active = False
    billing.save()

    refused(api.get(CREDENTIALS), 401, "invalid_token")


@pytest.mark.django_db
def test_an_expired_token_is_401(api):
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    refused(api.get(CREDENTIALS), 401, "invalid_token")


@pytest.mark.django_db
def test_an_expired_client_is_401(api, billing):
    billing.expires_at = timezone.now() - timedelta(seconds=1)
    billing.save()
    refused(api.get(CREDENTIALS), 401, "invalid_token")


@pytest.mark.django_db
@pytest.mark.parametrize("alias", ["sandbox-admin", "no-such-role"])
def test_a_role_the_client_may_not_use_is_403_whether_or_not_it_exists(api, alias):
    body = refused(api.get(f"/api/v1/roles/{alias}/credentials"), 403, "role_not_available")
    assert alias in body["detail"]
    post = api.post("/api/v1/sessions/", {"role": alias}, content_type="application/json")
    refused(post, 403, "role_not_available")


@pytest.mark.django_db
def test_an_address_outside_the_allow_list_is_403(aws, cache_redis, grants):
    token = create_client("office-only", "prod-readonly", allow_network="10.0.0.0/8")

    refused(bearer(token).get("/api/v1/roles/prod-readonly/credentials"), 403, "address_not_allowed")
    inside = Client(HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR="10.1.2.3")
    assert inside.get("/api/v1/roles/prod-readonly/credentials").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "invalid_request"),
        ({"role": "prod-developer", "duration_seconds": 60}, "invalid_request"),
        ({"role": "prod-developer", "policy": "{not json"}, "invalid_request"),
        (
            {
                "role": "prod-s3-reader",
                "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*"}]},
            },
            "invalid_policy",
        ),
    ],
)
def test_bad_session_requests_are_400(api, body, error):
    refused(api.post("/api/v1/sessions/", body, content_type="application/json"), 400, error)


@pytest.mark.django_db
def test_a_malformed_body_is_400(api):
    refused(api.post("/api/v1/sessions/", "{", content_type="application/json"), 400, "invalid_request")


@pytest.mark.django_db
def test_an_unknown_format_is_400(api):
    refused(api.get(CREDENTIALS + "?format=xml"), 400, "invalid_request")


@pytest.mark.django_db
def test_unknown_api_paths_are_404_in_the_api_format(api):
    refused(api.get("/api/v1/nothing-here"), 404, "not_found")


@pytest.mark.django_db
def test_too_many_requests_is_429_with_retry_after(api, settings):
    settings.BROKER_API_RATE = "3/minute"
    for _ in range(3):
        assert api.get("/api/v1/roles/").status_code == 200

    response = api.get("/api/v1/roles/")
    refused(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60


@pytest.mark.django_db
def test_the_limit_is_per_client(api, settings, grants):
    settings.BROKER_API_RATE = "1/minute"
    other = bearer(create_client("other", "prod-readonly"))
    assert api.get("/api/v1/roles/").status_code == 200
    assert other.get("/api/v1/roles/").status_code == 200
    assert api.get("/api/v1/roles/").status_code == 429
