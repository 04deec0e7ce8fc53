"""Step-up: revocation, the kill switch, grant changes and the grants-file load page want a second
factor shown in the last BROKER_STEP_UP_SECONDS; otherwise the browser goes through the verify step
and back. Time is moved forward (``stepup.clock``), never slept through."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from broker.mfa import stepup
from broker.models import AuditEvent
from federation.models import Grant, Role
from tests.conftest import signed_in, totp_code, totp_device

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/federation/role/"


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    """Move the step-up clock: ``clock(301)`` is 301 seconds after now."""
    start = stepup.clock()

    def move(seconds: float) -> None:
        monkeypatch.setattr(stepup, "clock", lambda: start + seconds)

    return move


@pytest.fixture
def admin(admin_user) -> Client:  # type: ignore[no-untyped-def]
    return signed_in(admin_user)  # verified a TOTP code just now


def sent_to_verify(answer, back: str) -> bool:  # type: ignore[no-untyped-def]
    if answer.status_code != 302 or not answer["Location"].startswith("/mfa/verify/?"):
        return False
    query = parse_qs(urlsplit(answer["Location"]).query)
    return query["next"] == [back] and query["step_up"] == ["1"]


def revoke(client: Client, *, confirm: bool = False):  # type: ignore[no-untyped-def]
    role = Role.objects.get(alias="sandbox-admin")
    form = {"action": "revoke_sessions", "_selected_action": [role.pk], "index": 0}
    if confirm:
        form["confirm"] = "yes"
    return client.post(CHANGELIST, form, HTTP_REFERER=f"http://testserver{CHANGELIST}?q=sandbox")


def test_revocation_within_the_window_goes_ahead(admin, clock):
    clock(299)
    page = revoke(admin)
    assert page.status_code == 200 and "Revoke active sessions" in page.content.decode()


def test_revocation_after_the_window_goes_through_the_verify_step_and_back(admin, admin_user, clock):
    clock(301)
    answer = revoke(admin, confirm=True)

    assert sent_to_verify(answer, f"{CHANGELIST}?q=sandbox")  # back to the page the form was on
    assert not AuditEvent.objects.filter(action="role.revoked").exists()
    page = admin.get(answer["Location"]).content.decode()
    assert "Confirm it is you" in page
    assert "then repeat the action" in page  # the step-up's message is shown, not left for a later page

    device = totp_device(admin_user)
    back = admin.post(
        "/mfa/verify/", {"code": totp_code(device, 1), "next": f"{CHANGELIST}?q=sandbox", "step_up": "1"}
    )
    assert back["Location"] == f"{CHANGELIST}?q=sandbox"
    assert revoke(admin).status_code == 200  # the action is open again


def test_the_kill_switch_after_the_window_does_nothing_until_verified(admin, alice, clock):
    clock(600)
    answer = admin.post(
        "/admin/auth/user/",
        {"action": "deactivate_and_revoke", "_selected_action": [alice.pk], "confirm": "yes"},
        HTTP_REFERER="http://testserver/admin/auth/user/",
    )
    assert sent_to_verify(answer, "/admin/auth/user/")
    alice.refresh_from_db()
    assert alice.is_active
    assert not AuditEvent.objects.filter(action="user.deactivated").exists()


def test_grant_changes_in_the_admin_want_a_recent_factor(admin, clock):
    group = Group.objects.get(name="developers")
    url = f"/admin/auth/group/{group.pk}/change/"
    assert admin.get(url).status_code == 200
    clock(301)
    assert sent_to_verify(admin.get(url), url)
    grant = Grant.objects.filter(group=group).first()
    answer = admin.post(
        f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"}, HTTP_REFERER=f"http://testserver{url}"
    )
    assert sent_to_verify(answer, url)
    assert Grant.objects.filter(pk=grant.pk).exists()
    assert admin.get("/admin/federation/role/").status_code == 200  # reading needs no step-up


def test_the_grants_file_load_page_wants_a_recent_factor(admin, clock):
    url = "/admin/federation/role/grants-file/load/"
    assert admin.get(url).status_code == 200
    clock(301)
    assert sent_to_verify(admin.get(url), url)


def test_a_stamp_from_the_future_does_not_count(admin, clock):
    clock(-60)  # the clock went back: the stamp is in the future
    assert sent_to_verify(revoke(admin), f"{CHANGELIST}?q=sandbox")


def test_the_window_follows_broker_step_up_seconds(admin, clock, settings):
    settings.BROKER_STEP_UP_SECONDS = 30
    clock(31)
    assert sent_to_verify(revoke(admin), f"{CHANGELIST}?q=sandbox")


def test_the_verify_step_lets_a_fresh_session_straight_back(admin):
    answer = admin.get("/mfa/verify/?next=%2Fadmin%2F&step_up=1")
    assert answer.status_code == 302 and answer["Location"] == "/admin/"


def test_a_single_sign_on_session_steps_up_by_signing_in_again(sso, admin_user, clock):
    client = Client()
    sso.sign_in(client, name_id="alice")
    assert stepup.recent(_request_for(client))  # a fresh SSO sign-in counts
    clock(301)
    page = client.get("/mfa/verify/?next=%2F&step_up=1").content.decode()
    assert "/saml/login/?force=1&amp;next=/" in page
    started = client.get("/saml/login/?force=1&next=%2F")
    request = sso.idp.server.parse_authn_request(
        parse_qs(urlsplit(started["Location"]).query)["SAMLRequest"][0],
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
    ).message
    assert request.force_authn == "true"  # the IdP must ask again, not reuse its session


def _request_for(client: Client):  # type: ignore[no-untyped-def]
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = client.session
    return request


def test_revoking_issued_sessions_after_the_window_does_nothing_until_verified(admin, clock, aws):
    """The issuance list's "Revoke these sessions" is the role revocation by another door: same bar."""
    from tests.test_admin_readable import issuance

    live = issuance("prod-developer", minutes_left=30)
    form = {"action": "revoke_issued_sessions", "_selected_action": [live.pk], "confirm": "yes"}
    clock(301)
    answer = admin.post("/admin/federation/issuance/", form, HTTP_REFERER="http://testserver/admin/")
    assert sent_to_verify(answer, "/admin/")
    assert not AuditEvent.objects.filter(action="role.revoked").exists()

    clock(0)
    admin.post("/admin/federation/issuance/", form)
    assert AuditEvent.objects.get(action="role.revoked").role_alias == "prod-developer"
