"""A person's own passkeys on the MFA page: the list, and removing one (``POST
/mfa/passkeys/<id>/remove/``) after a recent factor, never someone else's, never staff's last one
while the admin wants a passkey, audited without the credential itself.

Passkeys are enrolled through the real ceremony with tests/webauthn_support.py's authenticator.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.contrib.auth.models import User
from django.db import connection  # noqa: F401 - read by the skipif condition
from django.test import Client, RequestFactory
from django_otp_webauthn.models import WebAuthnAttestation, WebAuthnCredential

from broker.mfa import own_passkeys, stepup
from broker.models import AuditEvent
from tests.conftest import make_user, signed_in
from tests.test_audit_required import audit_table_refuses_inserts  # noqa: F401 - fixture
from tests.test_elevation_races import at_once
from tests.test_passkeys import BASE, enrol, https_portal, password_only, verify  # noqa: F401 - fixture
from tests.webauthn_support import SoftAuthenticator

pytestmark = pytest.mark.django_db

ENROL_PAGE = "http://testserver/mfa/enrol/"


def new_key() -> SoftAuthenticator:
    return SoftAuthenticator(rp_id="broker.example.test", origin=BASE)


def with_passkeys(user: User, *keys: SoftAuthenticator) -> Client:
    """A session of ``user`` that enrolled ``keys`` in turn (each counts as a recent passkey)."""
    client = signed_in(user, mfa=False)
    for key in keys:
        assert enrol(client, key).status_code == 200
    return client


def passkey_of(key: SoftAuthenticator) -> WebAuthnCredential:
    return WebAuthnCredential.objects.get(credential_id=key.credential_id)


def without_csrf_token(answer) -> str:  # type: ignore[no-untyped-def]
    """The page with what differs on every page blanked: the sign-out form's token, the error's reference."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", answer.content.decode())
    return re.sub(r'reference <span class="mono">[^<]*</span>', "", page)


def remove(client: Client, pk: int):  # type: ignore[no-untyped-def]
    return client.post(f"/mfa/passkeys/{pk}/remove/", HTTP_REFERER=ENROL_PAGE)


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    """Move the step-up clock: ``clock(301)`` is 301 seconds after the moment of the call."""

    def move(seconds: float) -> None:
        later = stepup.clock() + seconds
        monkeypatch.setattr(stepup, "clock", lambda: later)

    return move


# --- the list -----------------------------------------------------------------------------------


def test_the_mfa_page_lists_my_passkeys_and_nobody_elses(alice, bob):
    laptop, usb_key, bobs = new_key(), new_key(), new_key()
    with_passkeys(bob, bobs)
    with_passkeys(alice, laptop, usb_key)
    client = password_only("alice")
    assert verify(client, usb_key).status_code == 200

    page = client.get("/mfa/enrol/")

    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    html = page.content.decode()
    mine, theirs = passkey_of(laptop), passkey_of(bobs)
    used = passkey_of(usb_key)
    assert f'id="passkey-{mine.pk}"' in html and f'id="passkey-{used.pk}"' in html
    assert f'id="passkey-{theirs.pk}"' not in html and f"/mfa/passkeys/{theirs.pk}/" not in html
    assert html.count('<form method="post" action="/mfa/passkeys/') == 2
    assert "Passkey or security key (USB)" in html  # no name: what the key told the browser
    row = html[html.index(f'id="passkey-{used.pk}"') :]
    assert "(this sign-in)" in row.split("</tr>")[0]
    assert used.last_used_at.strftime("%Y-%m-%d") in row.split("</tr>")[0]
    assert "not yet" in html[html.index(f'id="passkey-{mine.pk}"') :].split("</tr>")[0]
    assert 'action="/mfa/remove/"' not in html  # no authenticator app to remove


def test_a_named_passkey_is_listed_by_its_name(alice):
    key = new_key()
    client = with_passkeys(alice, key)
    WebAuthnCredential.objects.filter(pk=passkey_of(key).pk).update(name="Work laptop")
    assert "Work laptop" in client.get("/mfa/enrol/").content.decode()


# --- removing one -------------------------------------------------------------------------------


def test_a_person_removes_a_lost_passkey_after_a_recent_factor(alice):
    lost, kept = new_key(), new_key()
    client = with_passkeys(alice, lost, kept)
    gone = passkey_of(lost)

    done = remove(client, gone.pk)

    assert done.status_code == 302 and done["Location"] == "/mfa/enrol/?removed=passkey"
    assert done["Cache-Control"] == "no-store"
    assert not WebAuthnCredential.objects.filter(pk=gone.pk).exists()
    assert not WebAuthnAttestation.objects.filter(credential_id=gone.pk).exists()
    assert list(WebAuthnCredential.objects.filter(user=alice)) == [passkey_of(kept)]
    page = client.get(done["Location"]).content.decode()
    assert "The passkey was removed" in page and f'id="passkey-{gone.pk}"' not in page
    event = AuditEvent.objects.get(action="mfa.removed")
    assert (event.actor, event.method, event.outcome) == ("alice", "webauthn", "ok")
    assert event.detail == {"credential": gone.pk, "passkeys_left": 1, "last_factor": False}


def test_the_audit_row_holds_no_credential_id_and_no_key(alice):
    lost, kept = new_key(), new_key()
    client = with_passkeys(alice, lost, kept)
    gone = passkey_of(lost)
    public_key = bytes(gone.public_key)
    assert remove(client, gone.pk).status_code == 302

    row = json.dumps(list(AuditEvent.objects.filter(action="mfa.removed").values()), default=str)
    for secret in (lost.credential_id, public_key):
        for spelling in (secret.hex(), base64.b64encode(secret), base64.urlsafe_b64encode(secret)):
            assert (spelling if isinstance(spelling, str) else spelling.decode().rstrip("=")) not in row
    assert gone.credential_id_sha256 not in row


def test_a_removal_the_audit_trail_cannot_record_does_not_happen(alice, request):
    lost, kept = new_key(), new_key()
    client = with_passkeys(alice, lost, kept)
    request.getfixturevalue("audit_table_refuses_inserts")  # from now on, a real database refusal

    answer = remove(client, passkey_of(lost).pk)

    assert answer.status_code == 503 and "udit trail" in answer.content.decode()
    assert WebAuthnCredential.objects.filter(user=alice).count() == 2


def test_removing_without_a_recent_factor_goes_through_the_verify_step_and_back(alice, clock, settings):
    lost, kept = new_key(), new_key()
    client = with_passkeys(alice, lost, kept)
    clock(settings.BROKER_STEP_UP_SECONDS + 1)

    refused = remove(client, passkey_of(lost).pk)

    assert refused.status_code == 302
    assert refused["Location"] == "/mfa/verify/?next=%2Fmfa%2Fenrol%2F&step_up=1"
    assert WebAuthnCredential.objects.filter(user=alice).count() == 2
    assert not AuditEvent.objects.filter(action="mfa.removed").exists()

    assert verify(client, kept).status_code == 200  # the person shows a factor again
    assert remove(client, passkey_of(lost).pk).status_code == 302
    assert WebAuthnCredential.objects.filter(user=alice).count() == 1


def test_a_session_that_never_showed_its_factor_is_sent_to_verify_first(alice):
    key = new_key()
    with_passkeys(alice, key)
    client = password_only("alice")

    answer = remove(client, passkey_of(key).pk)

    assert answer.status_code == 302 and answer["Location"].startswith("/mfa/verify/")
    assert WebAuthnCredential.objects.filter(user=alice).exists()


def test_another_persons_passkey_answers_404_like_a_missing_one(alice, bob):
    bobs = new_key()
    with_passkeys(bob, bobs)
    client = with_passkeys(alice, new_key())
    theirs = passkey_of(bobs).pk

    someone_elses = remove(client, theirs)
    missing = remove(client, theirs + 1000)

    assert someone_elses.status_code == missing.status_code == 404
    assert without_csrf_token(someone_elses) == without_csrf_token(missing)
    assert WebAuthnCredential.objects.filter(pk=theirs, user=bob).exists()
    assert not AuditEvent.objects.filter(action="mfa.removed").exists()


def test_removal_is_a_post_with_the_csrf_token(alice):
    key = new_key()
    client = with_passkeys(alice, key)
    pk = passkey_of(key).pk

    assert client.get(f"/mfa/passkeys/{pk}/remove/").status_code == 405
    forged = Client(enforce_csrf_checks=True)
    forged.cookies = client.cookies  # the victim's session, a cross-site form without the token
    assert forged.post(f"/mfa/passkeys/{pk}/remove/").status_code == 403
    assert Client().post(f"/mfa/passkeys/{pk}/remove/").status_code == 302  # signed out: to sign in
    assert WebAuthnCredential.objects.filter(pk=pk).exists()


# --- what policy keeps -------------------------------------------------------------------------


def test_staff_keep_their_last_passkey_while_the_admin_requires_one(admin_user, settings):
    settings.BROKER_STAFF_REQUIRE_WEBAUTHN = True
    first = new_key()
    client = with_passkeys(admin_user, first)
    only = passkey_of(first)
    page = client.get("/mfa/enrol/").content.decode()
    assert "add a new passkey or security key first" in page
    assert f"/mfa/passkeys/{only.pk}/remove/" not in page  # no button that can only fail

    refused = remove(client, only.pk)

    assert refused.status_code == 409
    assert "the admin requires one from staff: add a new passkey" in refused.content.decode()
    assert WebAuthnCredential.objects.filter(pk=only.pk).exists()
    assert not AuditEvent.objects.filter(action="mfa.removed").exists()

    assert enrol(client, new_key()).status_code == 200  # a new one first, then the old one goes
    assert remove(client, only.pk).status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=only.pk).exists()


def test_without_the_setting_staff_may_remove_their_last_passkey(admin_user, settings):
    settings.BROKER_STAFF_REQUIRE_WEBAUTHN = False
    key = new_key()
    client = with_passkeys(admin_user, key)
    assert remove(client, passkey_of(key).pk).status_code == 302
    assert not WebAuthnCredential.objects.filter(user=admin_user).exists()


def test_the_last_factor_can_go_as_the_authenticator_app_can_and_mfa_required_says_enrol(alice, settings):
    settings.BROKER_REQUIRE_MFA = True
    key = new_key()
    client = with_passkeys(alice, key)
    page = client.get("/mfa/enrol/").content.decode()
    assert "This is your last second factor" in page
    assert "the portal will have you set up a new one before anything else" in page

    done = remove(client, passkey_of(key).pk)

    assert done["Location"] == "/mfa/enrol/?removed=passkey"
    enrol_page = client.get(done["Location"]).content.decode()
    assert "A second factor is required for you: set up a new one here before going on" in enrol_page
    assert client.get("/")["Location"].startswith("/mfa/enrol/")  # nothing else until they do
    event = AuditEvent.objects.get(action="mfa.removed")
    assert event.detail["last_factor"] is True and event.detail["passkeys_left"] == 0


def test_with_an_authenticator_app_left_a_passkey_is_not_the_last_factor(alice, settings):
    settings.BROKER_REQUIRE_MFA = True
    key = new_key()
    client = with_passkeys(alice, key)
    signed_in(alice, mfa=True)  # gives alice an authenticator app too
    page = client.get("/mfa/enrol/").content.decode()
    assert "This is your last second factor" not in page and 'action="/mfa/remove/"' in page
    assert "Your passkeys stay and keep two-step sign-in on" in page
    assert remove(client, passkey_of(key).pk)["Location"] == "/mfa/enrol/?removed=passkey"
    assert AuditEvent.objects.get(action="mfa.removed").detail["last_factor"] is False


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks need PostgreSQL")
def test_two_removals_at_once_leave_staff_one_passkey(settings):
    settings.BROKER_STAFF_REQUIRE_WEBAUTHN = True
    staff = make_user("racer", staff=True)
    keys = [new_key(), new_key()]
    with_passkeys(staff, *keys)
    pks = [passkey_of(key).pk for key in keys]

    def removal(pk: int):  # type: ignore[no-untyped-def]
        request = RequestFactory().post(f"/mfa/passkeys/{pk}/remove/")
        request.user = User.objects.get(pk=staff.pk)
        return lambda: own_passkeys.remove(request=request, pk=pk)

    results = at_once(*(removal(pk) for pk in pks))

    assert sorted(type(result).__name__ for result in results) == ["Refused", "int"], results
    assert WebAuthnCredential.objects.filter(user=staff).count() == 1
    assert AuditEvent.objects.filter(action="mfa.removed").count() == 1
