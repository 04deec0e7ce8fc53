"""A second factor for password sign-ins: enrolment, the verify step, per-grant and global
requirements, the admin for staff; SAML users and API clients are never asked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from broker.apitokens import tokens
from broker.mfa.policy import SAML_BACKEND
from broker.models import AuditEvent
from federation.models import Grant
from tests.conftest import PASSWORD, signed_in, totp_code, totp_device


def sign_in(client: Client, username: str, password: str = PASSWORD, next_url: str = ""):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": username, "password": password, "next": next_url})


def verify(client: Client, code: str, next_url: str = ""):  # type: ignore[no-untyped-def]
    return client.post("/mfa/verify/", {"code": code, "next": next_url})


def secret_of(page: str) -> bytes:
    from base64 import b32decode

    text = re.search(r'<pre class="mono" id="secret">([A-Z2-7 ]+)</pre>', page).group(1).replace(" ", "")
    return b32decode(text + "=" * (-len(text) % 8))


def code_from(secret: bytes) -> str:
    return f"{totp(secret):06d}"


def recovery_codes_in(page) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", page.content.decode())


@pytest.fixture
def sandbox_needs_mfa(grants) -> Grant:  # type: ignore[no-untyped-def]
    grant = Grant.objects.get(group__name="developers", role__alias="sandbox-admin")
    grant.require_mfa = "any"
    grant.save()
    return grant


# --- enrolment ------------------------------------------------------------------


@pytest.mark.django_db
def test_enrolment_shows_a_qr_code_and_the_secret_and_confirms_with_a_code(alice_client, alice):
    page = alice_client.get("/mfa/enrol/")
    body = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert "<svg" in body and not re.search(r"<script(?![^>]*\bsrc=)", body)  # no inline script
    secret = secret_of(body)
    assert not TOTPDevice.objects.filter(user=alice, confirmed=True).exists()

    done = alice_client.post("/mfa/enrol/", {"code": code_from(secret), "next": "/?q=sandbox"})

    # The first factor comes with ten recovery codes, shown on this answer only.
    assert done.status_code == 200 and done["Cache-Control"] == "no-store"
    assert len(recovery_codes_in(done)) == 10 and 'href="/?q=sandbox"' in done.content.decode()
    device = TOTPDevice.objects.get(user=alice)
    assert device.confirmed and device.bin_key == secret
    assert "otp_device_id" in alice_client.session  # enrolling counts as verifying


@pytest.mark.django_db
def test_each_enrolment_visit_has_a_new_secret_so_a_shown_one_is_never_shown_again(alice_client):
    first = secret_of(alice_client.get("/mfa/enrol/").content.decode())
    second = secret_of(alice_client.get("/mfa/enrol/").content.decode())
    assert first != second
    refused = alice_client.post("/mfa/enrol/", {"code": code_from(first)})
    assert "That code is not valid" in refused.content.decode()


@pytest.mark.django_db
def test_a_wrong_code_does_not_confirm_the_device(alice_client, alice):
    alice_client.get("/mfa/enrol/")
    page = alice_client.post("/mfa/enrol/", {"code": "000000"}).content.decode()
    assert "That code is not valid" in page
    assert not TOTPDevice.objects.filter(user=alice, confirmed=True).exists()


@pytest.mark.django_db
def test_replacing_a_device_needs_the_current_one_first(alice):
    totp_device(alice)
    client = signed_in(alice, mfa=False)
    response = client.get("/mfa/enrol/")
    assert response.status_code == 302 and response["Location"].startswith(
        "/mfa/verify/?next=%2Fmfa%2Fenrol%2F"
    )


# --- the verify step --------------------------------------------------------------


@pytest.mark.django_db
def test_with_a_device_the_password_is_followed_by_a_code(alice, client):
    device = totp_device(alice)
    signed = sign_in(client, "alice", next_url="/?q=sandbox")
    landing = client.get(signed["Location"])
    assert landing.status_code == 302
    assert landing["Location"] == "/mfa/verify/?next=%2F%3Fq%3Dsandbox"

    done = verify(client, totp_code(device), next_url="/?q=sandbox")

    assert done.status_code == 302 and done["Location"] == "/?q=sandbox"
    assert "sandbox-admin" in client.get("/?q=sandbox").content.decode()
    event = AuditEvent.objects.filter(actor="alice", method="totp").get()
    assert (event.action, event.outcome) == ("mfa.verified", "ok")
    # One sign-in is one "signin" row; the code is its own row, not a second sign-in.
    assert AuditEvent.objects.filter(action="signin", actor="alice").count() == 1


@pytest.mark.django_db
def test_a_wrong_code_is_refused_audited_and_leaves_the_session_unverified(alice, client):
    totp_device(alice)
    sign_in(client, "alice")
    page = verify(client, "123456")
    assert page.status_code == 200 and "That code is not valid" in page.content.decode()
    assert client.get("/")["Location"].startswith("/mfa/verify/")
    assert AuditEvent.objects.filter(action="mfa.failed", actor="alice", method="totp").exists()


@pytest.mark.django_db
def test_a_code_is_accepted_only_once(alice, client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = totp_device(alice)
    code = totp_code(device)
    sign_in(client, "alice")
    assert verify(client, code).status_code == 302

    replay = Client()
    sign_in(replay, "alice")
    assert "That code is not valid" in verify(replay, code).content.decode()


@pytest.mark.django_db
def test_the_verify_step_rotates_the_session_key(alice, client):
    device = totp_device(alice)
    sign_in(client, "alice")
    before = client.cookies["sessionid"].value
    verify(client, totp_code(device))
    assert client.cookies["sessionid"].value != before
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_every_page_but_sign_out_waits_for_the_code(alice):
    totp_device(alice)
    client = signed_in(alice, mfa=False)
    for path in ["/", "/tokens/", "/admin/"]:
        assert client.get(path)["Location"].startswith("/mfa/verify/"), path
    assert client.post("/roles/sandbox-admin/credentials/")["Location"] == "/mfa/verify/?next=%2F"
    assert client.post("/logout/")["Location"] == "/login/"


# --- required per grant ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_role_that_needs_mfa_is_refused_without_it_and_points_to_enrolment(sandbox_needs_mfa, alice_client):
    portal = alice_client.get("/").content.decode()
    assert "badge mfa" in portal and "verify to use it" in portal

    response = alice_client.post("/roles/sandbox-admin/credentials/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "This role needs a verified MFA code" in page
    assert 'href="/mfa/enrol/?next=%2F"' in page
    refused = AuditEvent.objects.get(action="access.refused", actor="alice")
    assert refused.detail["reason"] == "MfaRequired"


@pytest.mark.django_db
def test_a_role_that_needs_mfa_works_after_the_code(aws, sandbox_needs_mfa, alice):
    client = signed_in(alice, mfa=True)
    assert client.post("/roles/sandbox-admin/credentials/", {"duration": "900"}).status_code == 303
    assert client.post("/roles/prod-developer/console/").status_code == 302


@pytest.mark.django_db
def test_another_grant_of_the_same_role_without_mfa_still_gives_it(
    aws, sandbox_needs_mfa, alice_client, alice
):
    from django.contrib.auth.models import Group

    other = Grant.objects.create(group=Group.objects.create(name="sandboxers"), role=sandbox_needs_mfa.role)
    alice.groups.add(other.group)
    assert alice_client.post("/roles/sandbox-admin/credentials/", {"duration": "900"}).status_code == 303


@pytest.mark.django_db
def test_a_personal_api_token_cannot_use_a_role_that_needs_mfa(aws, cache_redis, sandbox_needs_mfa, alice):
    _, raw = tokens.mint(user=alice, label="laptop", expires_at=timezone.now() + timedelta(days=1))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    refused = api.get("/api/v1/roles/sandbox-admin/credentials")
    assert refused.status_code == 403
    assert refused.json() == {"error": "mfa_required", "detail": "this role needs a verified MFA code"}
    assert api.get("/api/v1/roles/prod-s3-reader/credentials").status_code == 200


@pytest.mark.django_db
def test_single_sign_on_users_bring_their_idps_mfa(aws, sandbox_needs_mfa, alice):
    client = Client()
    client.force_login(alice, backend=SAML_BACKEND)
    assert client.session[BACKEND_SESSION_KEY] == SAML_BACKEND
    assert client.post("/roles/sandbox-admin/credentials/", {"duration": "900"}).status_code == 303
    assert "identity provider" in client.get("/mfa/enrol/").content.decode()
    assert not TOTPDevice.objects.filter(user=alice).exists()


# --- required for everyone ---------------------------------------------------------------


@pytest.mark.django_db
def test_with_broker_require_mfa_every_password_user_enrols_before_seeing_roles(alice, client, settings):
    settings.BROKER_REQUIRE_MFA = True
    sign_in(client, "alice")
    landing = client.get("/")
    assert landing["Location"] == "/mfa/enrol/?next=%2F"
    assert client.get("/mfa/verify/")["Location"] == "/mfa/enrol/?next=%2F"

    secret = secret_of(client.get(landing["Location"]).content.decode())
    enrolled = client.post("/mfa/enrol/", {"code": code_from(secret), "next": "/"})
    assert len(recovery_codes_in(enrolled)) == 10
    assert "prod-developer" in client.get("/").content.decode()


@pytest.mark.django_db
def test_with_broker_require_mfa_api_tokens_are_unaffected(api, settings):
    settings.BROKER_REQUIRE_MFA = True
    assert api.get("/api/v1/roles/").status_code == 200


# --- the admin ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_without_a_device_are_sent_to_enrol_before_the_admin(admin_user):
    client = signed_in(admin_user, mfa=False)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/mfa/enrol/?next=%2Fadmin%2F"


@pytest.mark.django_db
def test_staff_signing_in_for_the_admin_are_asked_for_their_code(admin_user, client):
    device = totp_device(admin_user)
    door = client.get("/admin/", follow=True)
    assert door.redirect_chain[-1][0] == "/login/?next=%2Fadmin%2F"  # the portal's sign-in, one for both
    signed = client.post(
        "/login/?next=/admin/", {"username": "admin", "password": PASSWORD, "next": "/admin/"}
    )
    assert signed["Location"] == "/admin/"
    asked = client.get("/admin/", follow=True)
    assert asked.redirect_chain[-1][0] == "/mfa/verify/?next=%2Fadmin%2F"
    assert verify(client, totp_code(device), "/admin/")["Location"] == "/admin/"
    assert "AWS identity broker · administration" in client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_the_admin_opens_for_verified_staff(admin_user):
    assert signed_in(admin_user).get("/admin/").status_code == 200


@pytest.mark.django_db
def test_metrics_answer_staff_sessions_only_after_the_code(admin_user):
    assert signed_in(admin_user, mfa=False).get("/metrics").status_code == 403
    assert signed_in(admin_user).get("/metrics").status_code == 200


# --- the MFA page for someone enrolled ------------------------------------------------------


@pytest.mark.django_db
def test_an_enrolled_person_sees_status_with_replace_remove_and_cancel(alice):
    totp_device(alice)
    page = signed_in(alice, mfa=True).get("/mfa/enrol/").content.decode()
    assert "Two-step sign-in" in page and "On:" in page
    assert 'href="/mfa/enrol/?replace=1"' in page and ">Cancel</a>" in page
    assert 'action="/mfa/remove/"' in page
    assert "<svg" not in page  # no new secret is made just for looking


@pytest.mark.django_db
def test_replacing_still_shows_a_qr_code_with_an_accessible_name_and_a_cancel(alice):
    totp_device(alice)
    page = signed_in(alice, mfa=True).get("/mfa/enrol/?replace=1").content.decode()
    assert 'role="img" aria-label="QR code' in page and "<svg" in page
    assert "keep the authenticator you have" in page


@pytest.mark.django_db
def test_removing_the_authenticator_needs_a_current_code(alice, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = totp_device(alice)
    client = signed_in(alice, mfa=True)
    refused = client.post("/mfa/remove/", {"code": "000000"})
    assert refused.status_code == 400 and "That code is not valid" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=alice).exists()

    done = client.post("/mfa/remove/", {"code": totp_code(device, steps_ahead=1)})
    assert done.status_code == 302 and done["Location"] == "/mfa/enrol/?removed=1"
    assert not TOTPDevice.objects.filter(user=alice, confirmed=True).exists()
    assert AuditEvent.objects.filter(action="mfa.removed", actor="alice").exists()


@pytest.mark.django_db
def test_removal_is_a_post_and_needs_the_code_step_first(alice):
    totp_device(alice)
    unverified = signed_in(alice, mfa=False)
    response = unverified.post("/mfa/remove/", {"code": "123456"})
    assert response.status_code == 302 and response["Location"].startswith("/mfa/verify/")
    assert TOTPDevice.objects.filter(user=alice).exists()
