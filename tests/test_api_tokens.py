"""Personal tokens from the portal and client tokens from the admin: shown once, stored hashed."""

from __future__ import annotations

import re

import pytest

from broker.apitokens.models import ApiClient, ApiToken
from tests.apifixtures import bearer

TOKEN = re.compile(r"brk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


@pytest.mark.django_db
def test_the_portal_header_links_to_personal_tokens(alice_client):
    assert 'href="/tokens/"' in alice_client.get("/").content.decode()


@pytest.mark.django_db
def test_an_employee_makes_a_personal_token_that_acts_as_them(aws, cache_redis, alice_client):
    page = alice_client.post("/tokens/", {"label": "laptop", "days": "7"}).content.decode()

    token = TOKEN.search(page).group(0)
    stored = ApiToken.objects.get()
    assert stored.user.username == "alice" and stored.label == "laptop"
    assert token not in (stored.digest, stored.lookup)
    # Shown once: the list afterwards shows only the public part.
    assert token not in alice_client.get("/tokens/").content.decode()
    roles = bearer(token).get("/api/v1/roles/").json()
    assert {r["alias"] for r in roles} == {"prod-developer", "sandbox-admin", "prod-s3-reader"}
    session = bearer(token).post(
        "/api/v1/sessions/", {"role": "sandbox-admin"}, content_type="application/json"
    )
    assert session.json()["Arn"].endswith("assumed-role/Admin/alice")


@pytest.mark.django_db
def test_a_personal_token_lifetime_is_bounded(alice_client, settings):
    settings.BROKER_PERSONAL_TOKEN_MAX_DAYS = 30
    page = alice_client.post("/tokens/", {"days": "365"}).content.decode()
    assert "choose a lifetime of 1 to 30 days" in page
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_an_employee_revokes_their_token(aws, cache_redis, alice_client):
    token = TOKEN.search(alice_client.post("/tokens/", {"days": "1"}).content.decode()).group(0)
    alice_client.post("/tokens/", {"revoke": ApiToken.objects.get().pk})
    assert bearer(token).get("/api/v1/roles/").status_code == 401


@pytest.mark.django_db
def test_one_cannot_revoke_anothers_token(alice_client, bob_client):
    alice_client.post("/tokens/", {"days": "1"})
    assert bob_client.post("/tokens/", {"revoke": ApiToken.objects.get().pk}).status_code == 404


@pytest.mark.django_db
def test_the_admin_creates_a_client_and_shows_its_token_once(aws, cache_redis, admin_user):
    from tests.conftest import signed_in

    admin = signed_in(admin_user)
    response = admin.post(
        "/admin/broker/apiclient/add/",
        {
            "name": "reporter",
            "description": "",
            "max_session_seconds": "3600",
            "allowed_networks": "[]",
            "is_active": "on",
            "tokens-TOTAL_FORMS": "0",
            "tokens-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200, response.content[:2000]
    token = TOKEN.search(response.content.decode()).group(0)
    client = ApiClient.objects.get(name="reporter")
    assert client.group.name == "api:reporter"
    assert bearer(token).get("/api/v1/roles/").json() == []
