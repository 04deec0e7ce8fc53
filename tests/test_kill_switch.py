"""The per-user kill switch: deactivated, tokens revoked, cache purged, signed out, and denied in AWS."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session

from broker import audit
from broker.apitokens.models import ApiToken
from broker.models import AuditEvent
from broker.redisconn import client
from devtools.aws_demo import SANDBOX_ACCOUNT
from federation import credcache
from federation.credcache import keys as cache_keys
from federation.models import AwsAccount, Role
from tests.apifixtures import bearer
from tests.conftest import signed_in
from tests.test_revocation import SANDBOX_ADMIN_ROLE, clean_roles, inline_policy  # noqa: F401

TOKEN = re.compile(r"brk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def admin_client(admin_user):  # type: ignore[no-untyped-def]
    return signed_in(admin_user)


@pytest.fixture
def alice_busy(aws, cache_redis, alice, alice_client):  # type: ignore[no-untyped-def]
    """alice with a portal session, a personal token, a cached API session and two roles in the ledger."""
    AwsAccount.objects.filter(account_id=SANDBOX_ACCOUNT).update(admin_role_arn=SANDBOX_ADMIN_ROLE)
    page = alice_client.post("/tokens/", {"label": "laptop", "days": "7"}).content.decode()
    token = TOKEN.search(page).group(0)
    assert bearer(token).get("/api/v1/roles/prod-developer/credentials").status_code == 200
    assert alice_client.post("/roles/sandbox-admin/credentials/").status_code == 303
    assert cached_subjects() == {f"user:{alice.pk}"}
    return token


def cached_subjects() -> set[str]:
    keys = client().scan_iter(match=cache_keys.key("m", "*"))
    return {credcache.metadata(k.decode().rsplit(":", 1)[-1]).get("subject") for k in keys}


def kill(admin_client, user, *, deny: bool):  # type: ignore[no-untyped-def]
    form = {"action": "deactivate_and_revoke", "_selected_action": [user.pk], "confirm": "yes"}
    if deny:
        form["deny_on_roles"] = "on"
    return admin_client.post("/admin/auth/user/", form, follow=True)


@pytest.mark.django_db
def test_the_kill_switch_offers_the_aws_deny_before_acting(admin_client, alice):
    page = admin_client.post(
        "/admin/auth/user/", {"action": "deactivate_and_revoke", "_selected_action": [alice.pk]}
    ).content.decode()

    assert 'name="deny_on_roles"' in page and "aws:SourceIdentity" in page
    alice.refresh_from_db()
    assert alice.is_active


@pytest.mark.django_db
def test_the_kill_switch_stops_everything_in_the_broker(admin_client, alice, alice_busy, alice_client):
    page = kill(admin_client, alice, deny=False).content.decode()

    alice.refresh_from_db()
    assert not alice.is_active
    assert bearer(alice_busy).get("/api/v1/roles/").status_code == 401
    assert ApiToken.objects.get(user=alice).revoked_at is not None
    assert cached_subjects() == set()  # purged, so nothing is served or refreshed
    assert alice_client.get("/").status_code == 302  # signed out
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(alice.pk)]
    assert "1 cached session(s) purged" in page and "1 portal session(s) ended" in page
    events = {e.action: e for e in AuditEvent.objects.filter(actor="admin")}
    assert {"user.deactivated", "apitoken.revoked", "cache.purged", "user.signed_out"} <= events.keys()
    assert "role.denied_user" not in events
    assert events["apitoken.revoked"].detail["reason"] == "kill switch"


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_roles")
def test_the_kill_switch_denies_the_users_source_identity_on_the_roles_they_held(
    admin_client, alice, alice_busy
):
    page = kill(admin_client, alice, deny=True).content.decode()

    for alias in ("prod-developer", "sandbox-admin"):
        role = Role.objects.get(alias=alias)
        [statement] = inline_policy(role, "BrokerDenySourceIdentity-alice")["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"StringEquals": {"aws:SourceIdentity": "alice"}}
        assert f"aws {alias}: BrokerDenySourceIdentity-alice" in page
    denied = AuditEvent.objects.filter(action="role.denied_user", outcome="ok")
    assert sorted(denied.values_list("role_alias", flat=True)) == ["prod-developer", "sandbox-admin"]


@pytest.mark.django_db
def test_an_admin_cannot_kill_their_own_account(admin_client, admin_user):
    page = kill(admin_client, admin_user, deny=False).content.decode()

    admin_user.refresh_from_db()
    assert admin_user.is_active and "cannot use the kill switch on yourself" in page


@pytest.mark.django_db
def test_the_kill_switch_still_acts_when_the_audit_trail_is_down(
    admin_client, alice, alice_busy, monkeypatch
):
    from django.db import DatabaseError

    def refuse(*args: object) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(audit, "_insert", refuse)
    page = kill(admin_client, alice, deny=False).content.decode()

    alice.refresh_from_db()
    assert not alice.is_active
    assert ApiToken.objects.get(user=alice).revoked_at is not None
    # Refused at once; the refusal is counted in Redis and audited with its address's window.
    assert bearer(alice_busy).get("/api/v1/roles/").status_code == 401
    assert cached_subjects() == set()
    assert page.count("audit trail could not be written") == 4
