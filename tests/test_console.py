"""Console sign-in through the real two-step federation flow (moto + the stand-in)."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request

import pytest

from broker.models import AuditEvent
from federation.models import Issuance


def follow(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback stand-in
        return answer.read().decode()


def login_params(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(response["Location"]).query))


@pytest.mark.django_db
def test_console_lands_on_the_assumed_role_identity(aws, alice_client):
    response = alice_client.post("/roles/prod-developer/console/", {"duration": "7200"})

    assert response.status_code == 302
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    params = login_params(response)
    assert params["Action"] == "login"
    assert params["Destination"] == "https://console.aws.amazon.com/"
    assert params["Issuer"] == "http://127.0.0.1:8000/"
    page = follow(response["Location"])
    assert "arn:aws:sts::123456789012:assumed-role/Developer/alice" in page
    assert '<code id="duration">7200</code>' in page


@pytest.mark.django_db
def test_a_login_url_works_once(aws, alice_client):
    response = alice_client.post("/roles/prod-developer/console/")
    follow(response["Location"])
    with pytest.raises(urllib.error.HTTPError) as refused:
        follow(response["Location"])
    assert refused.value.code == 400


@pytest.mark.django_db
def test_federation_token_role_signs_in_without_session_duration(aws, alice_client):
    response = alice_client.post("/roles/prod-s3-reader/console/", {"duration": "1800"})

    assert response.status_code == 302
    page = follow(response["Location"])
    # The stand-in refuses SessionDuration for non-AssumeRole sessions, as AWS does.
    assert '<code id="duration">default</code>' in page


@pytest.mark.django_db
def test_each_console_session_leaves_one_ledger_row_and_one_audit_event(aws, alice_client):
    alice_client.post("/roles/sandbox-admin/console/")

    issuance = Issuance.objects.get()
    assert (issuance.username, issuance.role_alias, issuance.purpose) == ("alice", "sandbox-admin", "console")
    assert issuance.source_ip == "127.0.0.1"
    event = AuditEvent.objects.get(action="console.url")
    assert event.access_key_id == issuance.access_key_id
    assert event.actor == "alice"
    assert "sessionToken" not in str(event.detail) and "SigninToken" not in str(event.detail)


@pytest.mark.django_db
def test_a_custom_destination_on_the_console_is_kept(aws, alice_client):
    page = "https://console.aws.amazon.com/s3/home?region=eu-west-1"
    response = alice_client.post("/roles/prod-developer/console/", {"destination": page})
    assert login_params(response)["Destination"] == page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "destination",
    [
        "https://evil.example/",
        "https://console.aws.amazon.com.evil.example/",
        "https://console.aws.amazon.com@evil.example/",
        "http://console.aws.amazon.com/",
        "//evil.example/",
        "javascript:alert(1)",
        "https://console.aws.amazon.com\\@evil.example/",
    ],
)
def test_a_hostile_destination_is_refused_before_any_credential(aws, alice_client, destination):
    response = alice_client.post("/roles/prod-developer/console/", {"destination": destination})

    assert response.status_code == 400
    assert b"destination must start with" in response.content or b"characters" in response.content
    assert not Issuance.objects.exists()


@pytest.mark.django_db
def test_an_ungranted_role_and_a_missing_role_look_the_same(aws, bob_client):
    ungranted = bob_client.post("/roles/sandbox-admin/console/")
    missing = bob_client.post("/roles/no-such-role/console/")

    assert ungranted.status_code == missing.status_code == 403

    def page(response, alias: str) -> str:  # type: ignore[no-untyped-def]
        text = response.content.decode().replace(alias, "X")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert page(ungranted, "sandbox-admin") == page(missing, "no-such-role")


@pytest.mark.django_db
def test_the_console_needs_a_post(aws, alice_client):
    assert alice_client.get("/roles/prod-developer/console/").status_code == 405


@pytest.mark.django_db
def test_the_console_needs_a_csrf_token(aws, alice):
    from tests.conftest import signed_in

    client = signed_in(alice, enforce_csrf_checks=True)
    response = client.post("/roles/prod-developer/console/")
    assert response.status_code == 403
    assert not Issuance.objects.exists()


@pytest.mark.django_db
def test_signed_out_users_are_sent_to_sign_in(aws, client):
    response = client.post("/roles/prod-developer/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
