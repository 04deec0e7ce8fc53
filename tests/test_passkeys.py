"""Passkeys (WebAuthn) as a second factor, at the server: enrolment, the verify step, roles and the
admin that want a phishing-resistant factor, and the attacks a passkey must stop (an assertion made
for another origin, a replayed assertion, a cloned authenticator whose counter went back).

The authenticator is tests/webauthn_support.py's software one; Chromium's virtual authenticator
covers the honest path in tests/browser/test_passkeys_in_chromium.py.
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp_webauthn.models import WebAuthnCredential

from broker.apitokens import tokens
from broker.mfa import policy, stepup
from broker.mfa.models import RecoveryCode
from broker.models import AuditEvent
from federation.models import Grant
from tests.conftest import PASSWORD, signed_in, totp_device
from tests.webauthn_support import SoftAuthenticator

pytestmark = pytest.mark.django_db

BASE = "https://broker.example.test"


@pytest.fixture(autouse=True)
def https_portal(settings):  # type: ignore[no-untyped-def]
    settings.BROKER_BASE_URL = BASE


@pytest.fixture
def key() -> SoftAuthenticator:
    return SoftAuthenticator(rp_id="broker.example.test", origin=BASE)


def call(client: Client, path: str, body: dict | None = None):  # type: ignore[no-untyped-def]
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def enrol(client: Client, key: SoftAuthenticator, next_url: str = "/", **options):  # type: ignore[no-untyped-def]
    creation = call(client, "/mfa/passkeys/register/begin/")
    assert creation.status_code == 200, creation.content
    return call(
        client,
        f"/mfa/passkeys/register/complete/?next={quote(next_url)}",
        key.create(creation.json(), **options),
    )


def assertion_for(client: Client, key: SoftAuthenticator, **options) -> dict:  # type: ignore[no-untyped-def]
    request = call(client, "/mfa/passkeys/verify/begin/")
    assert request.status_code == 200, request.content
    return key.get(request.json(), **options)


def verify(client: Client, key: SoftAuthenticator, next_url: str = "/", **options):  # type: ignore[no-untyped-def]
    return call(
        client,
        f"/mfa/passkeys/verify/complete/?next={quote(next_url)}",
        assertion_for(client, key, **options),
    )


def with_passkey(user: User, key: SoftAuthenticator) -> None:
    """Enrol ``key`` for ``user`` (after a fresh second factor when they have one already)."""
    assert enrol(signed_in(user, mfa=policy.has_device(user)), key).status_code == 200


def password_only(username: str) -> Client:
    client = Client()
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def factor_of(client: Client) -> str:
    device_id = client.session.get(DEVICE_ID_SESSION_KEY, "")
    return "webauthn" if "webauthncredential" in device_id else device_id


# --- enrolment --------------------------------------------------------------------------


def test_a_person_enrols_a_passkey_and_gets_ten_recovery_codes_once(alice, key):
    client = signed_in(alice, mfa=False)
    options = call(client, "/mfa/passkeys/register/begin/").json()
    assert options["rp"]["id"] == "broker.example.test"  # from BROKER_BASE_URL

    done = call(client, "/mfa/passkeys/register/complete/?next=%2F%3Fq%3Dprod", key.create(options))

    assert done.status_code == 200
    body = done.json()
    assert body["redirect_url"] == "/?q=prod" and len(body["recovery_codes"]) == 10
    credential = WebAuthnCredential.objects.get(user=alice)
    assert credential.credential_id == key.credential_id and credential.confirmed
    assert factor_of(client) == "webauthn"  # enrolling counts as showing the factor
    stored = list(RecoveryCode.objects.values_list("digest", flat=True))
    assert len(stored) == 10 and not set(code.replace("-", "") for code in body["recovery_codes"]) & set(
        stored
    )
    assert AuditEvent.objects.filter(action="mfa.enrolled", actor="alice", method="webauthn").exists()


def test_the_relying_party_comes_from_the_base_url_not_the_host_header(alice, key):
    client = signed_in(alice, mfa=False)
    options = client.post(
        "/mfa/passkeys/register/begin/", "{}", content_type="application/json", HTTP_HOST="localhost"
    )
    assert options.json()["rp"]["id"] == "broker.example.test"


def test_a_passkey_is_a_second_factor_only(key):
    assert call(Client(), "/mfa/passkeys/verify/begin/").status_code == 403
    assert call(Client(), "/mfa/passkeys/register/begin/").status_code == 403


def test_adding_a_passkey_next_to_a_factor_needs_that_factor_recently(alice, key, monkeypatch):
    totp_device(alice)
    client = signed_in(alice, mfa=True)
    later = stepup.clock() + 301
    monkeypatch.setattr(stepup, "clock", lambda: later)
    refused = call(client, "/mfa/passkeys/register/begin/")
    assert refused.status_code == 403 and refused.json()["code"] == "step_up_required"
    page = client.get("/mfa/enrol/")
    assert page.status_code == 302 and page["Location"].startswith("/mfa/verify/?next=%2Fmfa%2Fenrol%2F")


# --- the verify step ------------------------------------------------------------------------


def test_after_the_password_a_passkey_passes_the_verify_step(alice, key):
    with_passkey(alice, key)
    client = password_only("alice")
    assert client.get("/")["Location"] == "/mfa/verify/?next=%2F"
    page = client.get("/mfa/verify/?next=%2F").content.decode()
    assert 'id="passkey-verify-button"' in page and "/static/passkeys.js" in page
    before = client.cookies["sessionid"].value

    done = verify(client, key, next_url="/?q=sandbox")

    assert done.status_code == 200 and done.json()["redirect_url"] == "/?q=sandbox"
    assert client.cookies["sessionid"].value != before  # the session key rotates
    assert client.get("/").status_code == 200
    assert factor_of(client) == "webauthn"
    event = AuditEvent.objects.get(action="mfa.verified", actor="alice")
    assert event.method == "webauthn"


def test_an_assertion_made_for_another_origin_is_refused(alice, key):
    with_passkey(alice, key)
    client = password_only("alice")

    refused = verify(client, key, origin="https://broker.example.test.evil.example")

    assert refused.status_code == 422
    assert "origin" in refused.json()["reason"].lower()
    assert client.get("/")["Location"].startswith("/mfa/verify/")  # still unverified
    event = AuditEvent.objects.get(action="mfa.failed", actor="alice")
    assert event.outcome == "denied" and "origin" in event.detail["reason"].lower()


def test_a_replayed_assertion_is_refused(alice, key):
    with_passkey(alice, key)
    client = password_only("alice")
    captured = assertion_for(client, key)
    assert call(client, "/mfa/passkeys/verify/complete/", captured).status_code == 200

    attacker = password_only("alice")  # knows the password, replays what it captured
    again = call(attacker, "/mfa/passkeys/verify/complete/", captured)
    assert again.status_code == 400 and again.json()["code"] == "invalid_state"  # no challenge was issued
    call(attacker, "/mfa/passkeys/verify/begin/")
    stale = call(attacker, "/mfa/passkeys/verify/complete/", captured)
    assert stale.status_code == 422 and "challenge" in stale.json()["reason"].lower()
    assert attacker.get("/")["Location"].startswith("/mfa/verify/")


def test_a_cloned_authenticator_whose_counter_went_back_is_refused(alice, key):
    with_passkey(alice, key)
    assert verify(password_only("alice"), key, counter=5).status_code == 200

    clone = password_only("alice")
    refused = verify(clone, key, counter=3)

    assert refused.status_code == 422 and "sign count" in refused.json()["reason"].lower()
    assert WebAuthnCredential.objects.get(user=alice).sign_count == 5
    assert clone.get("/")["Location"].startswith("/mfa/verify/")


def test_another_persons_passkey_does_not_verify(alice, bob, key):
    with_passkey(bob, key)
    with_passkey(alice, SoftAuthenticator(rp_id="broker.example.test", origin=BASE))
    client = password_only("alice")
    options = call(client, "/mfa/passkeys/verify/begin/").json()
    refused = call(client, "/mfa/passkeys/verify/complete/", key.get(options))
    assert refused.status_code == 403
    assert client.get("/")["Location"].startswith("/mfa/verify/")


# --- roles and the admin that want a phishing-resistant factor ----------------------------------


@pytest.fixture
def sandbox_needs_passkey(grants) -> Grant:  # type: ignore[no-untyped-def]
    grant = Grant.objects.get(group__name="developers", role__alias="sandbox-admin")
    grant.require_mfa = "webauthn"
    grant.save()
    return grant


def test_a_role_that_needs_a_passkey_refuses_a_totp_code(aws, sandbox_needs_passkey, alice, key):
    totp_client = signed_in(alice, mfa=True)
    refused = totp_client.post("/roles/sandbox-admin/credentials/", {"duration": "900"})
    assert refused.status_code == 403 and "passkey or security key" in refused.content.decode()

    with_passkey(alice, key)
    client = password_only("alice")
    assert verify(client, key).status_code == 200
    assert (
        client.post("/roles/sandbox-admin/credentials/", {"duration": "900"}).status_code == 303
    )  # issued, then shown by the GET


def test_the_api_answers_mfa_required_for_a_role_that_needs_a_passkey(
    aws, cache_redis, sandbox_needs_passkey, alice
):
    _, raw = tokens.mint(user=alice, label="laptop", expires_at=timezone.now() + timedelta(days=1))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    refused = api.get("/api/v1/roles/sandbox-admin/credentials")
    assert refused.status_code == 403 and refused.json()["error"] == "mfa_required"
    assert "passkey" in refused.json()["detail"]
    unknown = api.get("/api/v1/roles/no-such-role/credentials")
    assert unknown.status_code == 403 and unknown.json()["error"] == "role_not_available"


def test_with_broker_staff_require_webauthn_the_admin_wants_a_passkey(admin_user, key, settings):
    settings.BROKER_STAFF_REQUIRE_WEBAUTHN = True
    totp_verified = signed_in(admin_user, mfa=True)
    sent = totp_verified.get("/admin/", follow=True).redirect_chain[-1][0]
    assert sent.startswith("/mfa/enrol/?next=%2Fadmin%2F&need=webauthn")

    with_passkey(admin_user, key)
    client = password_only("admin")
    assert verify(client, key, next_url="/admin/").json()["redirect_url"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_openapi_document_names_mfa_required(client):
    document = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    refusal = document["paths"]["/api/v1/roles/{alias}/credentials"]["get"]["responses"]["403"]
    assert "mfa_required" in refusal["description"]
