"""Recovery codes: ten single-use codes at enrolment, kept hashed, each use audited with the count
left; a new set voids the old (after a recent second factor); an admin can reset a person's factors."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from broker.mfa import recovery, stepup
from broker.mfa.models import RecoveryCode, RecoveryCodes
from broker.models import AuditEvent
from tests.conftest import PASSWORD, signed_in, totp_device

pytestmark = pytest.mark.django_db


def password_only(username: str = "alice") -> Client:
    client = Client()
    client.post("/login/", {"username": username, "password": PASSWORD})
    return client


def use(client: Client, code: str, next_url: str = "/"):  # type: ignore[no-untyped-def]
    return client.post("/mfa/verify/", {"recovery_code": code, "next": next_url})


@pytest.fixture
def codes(alice: User) -> list[str]:
    totp_device(alice)
    return recovery.issue(alice)


def test_a_code_opens_the_session_once_and_tells_how_many_are_left(alice, codes):
    client = password_only()
    assert client.get("/")["Location"].startswith("/mfa/verify/")
    assert "Use a recovery code" in client.get("/mfa/verify/").content.decode()

    page = use(client, codes[0].upper(), "/?q=prod")  # any case, with its dash

    assert page.status_code == 200 and "You have 9 recovery codes left." in page.content.decode()
    assert 'href="/?q=prod"' in page.content.decode()
    assert client.get("/").status_code == 200
    event = AuditEvent.objects.get(action="mfa.recovery_used", actor="alice")
    assert (event.method, event.detail["remaining"]) == ("recovery", 9)

    again = use(password_only(), codes[0])
    assert "not valid or was already used" in again.content.decode()
    assert AuditEvent.objects.filter(action="mfa.failed", actor="alice", method="recovery").count() == 1
    assert recovery.remaining(alice) == 9


def test_codes_are_stored_only_as_keyed_hashes(alice, codes):
    digests = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert len(digests) == 10
    for code in codes:
        assert recovery.normalise(code) not in digests and code not in digests
        assert all(recovery.normalise(code) not in digest for digest in digests)


def test_another_persons_code_does_not_work(alice, bob, codes):
    totp_device(bob)
    recovery.issue(bob)
    page = use(password_only("bob"), codes[1])
    assert "not valid or was already used" in page.content.decode()
    assert recovery.remaining(alice) == 10


def test_two_requests_racing_with_one_code_succeed_once(alice, codes):
    device = RecoveryCodes.objects.get(user=alice)
    assert recovery.spend(device, codes[2]) is True
    assert recovery.spend(device, codes[2]) is False


def test_the_recovery_page_counts_and_a_new_set_voids_the_old(alice, codes, monkeypatch):
    client = signed_in(alice, mfa=True)
    assert "You have 10 unused recovery codes." in client.get("/mfa/recovery/").content.decode()

    fresh = client.post("/mfa/recovery/", {"next": "/"})

    new_codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", fresh.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    assert "not valid or was already used" in use(password_only(), codes[3]).content.decode()
    assert AuditEvent.objects.filter(action="mfa.recovery_issued", actor="alice").exists()

    later = stepup.clock() + 301
    monkeypatch.setattr(stepup, "clock", lambda: later)
    stale = client.post("/mfa/recovery/", {"next": "/"})
    assert stale.status_code == 302 and stale["Location"].startswith("/mfa/verify/")
    assert RecoveryCodes.objects.get(user=alice).codes.filter(used_at__isnull=True).count() == 10


def test_a_password_alone_cannot_see_or_renew_the_codes(alice, codes):
    client = password_only()
    assert client.get("/mfa/recovery/")["Location"].startswith("/mfa/verify/")
    assert client.post("/mfa/recovery/", {"next": "/"})["Location"].startswith("/mfa/verify/")
    assert RecoveryCode.objects.filter(used_at__isnull=True).count() == 10


def test_a_wrong_shaped_code_is_a_form_error_not_a_500(alice, codes):
    page = use(password_only(), "'; drop table --")
    assert page.status_code == 200 and "not valid or was already used" in page.content.decode()


# --- an admin resets a person's factors ------------------------------------------------------


def reset(client: Client, user: User):  # type: ignore[no-untyped-def]
    return client.post(
        "/admin/auth/user/",
        {"action": "reset_factors_action", "_selected_action": [user.pk], "index": 0},
    )


def test_an_admin_resets_a_persons_factors_audited(admin_user, alice, codes):
    admin = signed_in(admin_user)
    answer = reset(admin, alice)
    assert answer.status_code == 302
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not RecoveryCodes.objects.filter(user=alice).exists()
    event = AuditEvent.objects.get(action="mfa.reset")
    assert event.actor == "admin"
    assert event.detail == {"user": "alice", "passkeys": 0, "authenticator_apps": 1, "recovery_codes": 10}
    assert password_only().get("/").status_code == 200  # no factor left to ask for


def test_resetting_factors_wants_a_recent_second_factor(admin_user, alice, codes, monkeypatch):
    admin = signed_in(admin_user)
    later = stepup.clock() + 301
    monkeypatch.setattr(stepup, "clock", lambda: later)
    answer = reset(admin, alice)
    assert answer.status_code == 302 and answer["Location"].startswith("/mfa/verify/")
    assert TOTPDevice.objects.filter(user=alice).exists()
    assert not AuditEvent.objects.filter(action="mfa.reset").exists()
