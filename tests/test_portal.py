"""The portal through HTTP: sign-in, the role picker, sign-out."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from broker.models import AuditEvent
from tests.conftest import PASSWORD


def sign_in(client: Client, username: str, password: str = PASSWORD, next_url: str = ""):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": username, "password": password, "next": next_url})


@pytest.mark.django_db
def test_sign_in_lands_on_the_roles_grouped_by_account(alice, client):
    response = sign_in(client, "alice")
    assert response.status_code == 302 and response["Location"] == "/"

    page = client.get("/").content.decode()
    accounts = re.findall(r"<summary><h2>(\w+)</h2>", page)
    assert accounts == ["Production", "Sandbox"]
    assert page.index("prod-developer") < page.index("Sandbox") < page.index("sandbox-admin")
    assert "prod-readonly" not in page
    assert 'value="14400" selected' in page  # the grant's default duration


@pytest.mark.django_db
def test_duration_choices_stay_within_the_roles_maximum(bob_client):
    page = bob_client.get("/").content.decode()
    readonly = page[page.index("prod-readonly") :]
    readonly = readonly[: readonly.index("</select>")]
    assert re.findall(r'<option value="(\d+)"', readonly) == ["900", "1800", "3600"]


@pytest.mark.django_db
def test_the_filter_narrows_the_list_without_javascript(alice_client):
    page = alice_client.get("/", {"q": "sandbox"}).content.decode()
    assert "sandbox-admin" in page and "prod-developer" not in page
    assert "No role matches" in alice_client.get("/", {"q": "zzz"}).content.decode()


@pytest.mark.django_db
def test_a_user_without_grants_is_told_how_to_get_access(carol, client):
    sign_in(client, "carol")
    assert "You have no AWS roles yet" in client.get("/").content.decode()


@pytest.mark.django_db
def test_a_wrong_password_shows_one_generic_error_and_is_audited(alice, client):
    wrong = sign_in(client, "alice", "nope").content.decode()
    unknown = sign_in(client, "mallory", "nope").content.decode()
    assert "Please enter a correct username and password" in wrong
    assert "Please enter a correct username and password" in unknown
    assert AuditEvent.objects.filter(action="signin.failed", actor="alice", outcome="denied").exists()


@pytest.mark.django_db
def test_sign_in_is_audited(alice, client):
    sign_in(client, "alice")
    event = AuditEvent.objects.get(action="signin")
    assert (event.actor, event.method, event.source_ip) == ("alice", "ModelBackend", "127.0.0.1")


@pytest.mark.django_db
def test_sign_in_rotates_the_session_key(alice, client):
    client.get("/login/")
    client.session.save()
    planted = client.cookies["sessionid"].value
    sign_in(client, "alice")
    assert client.cookies["sessionid"].value != planted


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)"]
)
def test_sign_in_never_redirects_off_site(alice, client, target):
    response = sign_in(client, "alice", next_url=target)
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_sign_in_follows_a_local_next(alice, client):
    assert sign_in(client, "alice", next_url="/?q=sandbox")["Location"] == "/?q=sandbox"


@pytest.mark.django_db
def test_sign_in_needs_a_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, "alice").status_code == 403


@pytest.mark.django_db
def test_sign_out_is_a_post_and_ends_the_session(alice_client):
    assert alice_client.post("/logout/").status_code == 302
    assert alice_client.get("/")["Location"].startswith("/login/")


@pytest.mark.django_db
def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "redis": True}


@pytest.mark.django_db
def test_readiness_fails_when_redis_is_gone(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["redis"] is False
