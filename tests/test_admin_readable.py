"""The admin as an admin meets it: grants where they think of them, readable JSON and hours,
audit and issuance lists that can be read and filtered, one sign-in, plain labels."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from broker import audit
from federation.models import Grant, Issuance, Role
from tests.conftest import signed_in


@pytest.fixture
def admin_client(admin_user):  # type: ignore[no-untyped-def]
    return signed_in(admin_user)


def grant_form(group: Group, role: Role, **fields: str) -> dict[str, str]:
    form = {
        "name": group.name,
        "aws_grants-TOTAL_FORMS": "1",
        "aws_grants-INITIAL_FORMS": "0",
        "aws_grants-0-role": str(role.pk),
        "aws_grants-0-session_seconds": "",
        "aws_grants-0-session_policy": "",
    }
    form.update({f"aws_grants-0-{key}": value for key, value in fields.items()})
    return form


# --- the Group page: grants first, permissions folded ---------------------------------------


@pytest.mark.django_db
def test_the_group_page_shows_grants_before_the_permission_picker_which_is_folded(admin_client):
    group = Group.objects.get(name="developers")
    page = admin_client.get(f"/admin/auth/group/{group.pk}/change/").content.decode()
    assert "AWS roles this group grants" in page
    permissions = page.index('id="id_permissions"')
    folded = page.rfind("<details", 0, permissions)
    assert folded != -1 and "</details>" not in page[folded:permissions]
    assert "<details open" not in page[folded : folded + 20]


@pytest.mark.django_db
def test_empty_policies_are_blank_not_null_and_durations_are_hours(admin_client):
    group = Group.objects.get(name="developers")
    page = admin_client.get(f"/admin/auth/group/{group.pk}/change/").content.decode()
    policies = re.findall(r'<textarea name="aws_grants-\d+-session_policy"[^>]*>(.*?)</textarea>', page, re.S)
    assert policies and all(text.strip() in ("", "\n") or text.strip().startswith("{") for text in policies)
    assert "null" not in "".join(policies)
    # prod-developer's grant to developers is 14400 s: shown as 4 hours.
    assert re.search(r'name="aws_grants-\d+-session_seconds" value="4"', page)
    assert "Default session (hours)" in page


@pytest.mark.django_db
def test_a_policy_is_pretty_printed(admin_client):
    group = Group.objects.create(name="scoped-team")
    role = Role.objects.get(alias="prod-developer")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}],
    }
    Grant.objects.create(group=group, role=role, session_policy=policy)
    page = admin_client.get(f"/admin/auth/group/{group.pk}/change/").content.decode()
    assert "{\n  &quot;Version&quot;: &quot;2012-10-17&quot;,\n  &quot;Statement&quot;: [" in page


@pytest.mark.django_db
def test_hours_are_stored_as_seconds_and_blank_policy_as_none(admin_client):
    group = Group.objects.create(name="newcomers")
    role = Role.objects.get(alias="prod-developer")
    response = admin_client.post(
        f"/admin/auth/group/{group.pk}/change/", grant_form(group, role, session_seconds="1.5")
    )
    assert response.status_code == 302
    grant = Grant.objects.get(group=group)
    assert (grant.session_seconds, grant.session_policy) == (5400, None)


def refused_grant(admin_client, **fields: str) -> str:  # type: ignore[no-untyped-def]
    """Post a new grant with ``fields``; it must be refused on the form, nothing saved. The page."""
    group = Group.objects.create(name="newcomers")
    role = Role.objects.get(alias="prod-developer")
    response = admin_client.post(f"/admin/auth/group/{group.pk}/change/", grant_form(group, role, **fields))
    assert response.status_code == 200
    assert not Grant.objects.filter(group=group).exists()
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("0.1", "Give 0.25 to 36 hours."),
        ("40", "Give 0.25 to 36 hours."),
        ("1.0001", "Give hours that make whole seconds"),
        ("soon", "Give a number of hours"),
    ],
)
def test_hours_outside_aws_bounds_are_refused_in_hours(admin_client, hours, message):
    assert message in refused_grant(admin_client, session_seconds=hours)


@pytest.mark.django_db
def test_broken_json_names_the_line_and_changes_nothing(admin_client):
    page = refused_grant(admin_client, session_policy='{\n  "Version": "2012-10-17",\n  "Statement": [\n}')
    assert "Not valid JSON" in page and "line 4" in page


@pytest.mark.django_db
def test_a_policy_iam_would_refuse_is_refused_with_the_reason(admin_client):
    bad = '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}'
    assert "Effect" in refused_grant(admin_client, session_policy=bad)


# --- the Role page ------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_iam_role_page_shows_no_null_and_grants_to_groups(admin_client):
    role = Role.objects.get(alias="prod-developer")
    page = admin_client.get(f"/admin/federation/role/{role.pk}/change/").content.decode()
    assert "null" not in re.search(r'<textarea name="federation_policy".*?</textarea>', page, re.S).group(0)
    assert "Grants to groups" in page and "Grant to a groups" not in page.lower()
    assert 'name="max_session_seconds" value="12"' in page  # 43200 s
    assert "arn-field" in page


@pytest.mark.django_db
def test_a_role_saved_with_blank_tags_keeps_an_empty_mapping(admin_client):
    role = Role.objects.get(alias="sandbox-admin")
    form = {
        "alias": role.alias,
        "account": str(role.account_id),
        "arn": role.arn,
        "method": role.method,
        "description": "",
        "federation_policy": "",
        "max_session_seconds": "2",
        "session_tags": "",
        "grants-TOTAL_FORMS": "0",
        "grants-INITIAL_FORMS": "0",
    }
    response = admin_client.post(f"/admin/federation/role/{role.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[-3000:]
    role.refresh_from_db()
    assert (role.max_session_seconds, role.session_tags, role.federation_policy) == (7200, {}, None)


# --- labels and one sign-in ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_index_names_the_broker_and_its_sections_in_words(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "AWS identity broker · administration" in page
    assert "Sign-in lockouts" in page and "Authenticator apps (MFA)" in page
    assert ">Axes<" not in page and "Otp_Totp" not in page and "OTP_TOTP" not in page


@pytest.mark.django_db
def test_the_admin_login_is_the_portals(client):
    response = client.get("/admin/login/?next=/admin/federation/role/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fadmin%2Ffederation%2Frole%2F"


@pytest.mark.django_db
def test_a_person_without_staff_rights_gets_a_page_saying_so(alice_client):
    page = alice_client.get("/admin/", follow=True)
    assert page.status_code == 403 and b"The admin is for AWS administrators" in page.content


# --- the audit list -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_audit_list_marks_denied_rows_and_says_methods_in_words(admin_client):
    audit.record("signin", actor="dora", method="ModelBackend")
    audit.record("signin.failed", actor="mallory", outcome="denied")
    audit.record("mfa.verified", actor="dora", method="totp")
    page = admin_client.get("/admin/broker/auditevent/").content.decode()
    assert "outcome-denied" in page and "✕ denied" in page
    assert "Local password" in page and "Authenticator code" in page
    assert ">ModelBackend<" not in page
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page)  # seconds and zone
    header = re.search(r"<thead>.*?</thead>", page, re.S).group(0)
    assert header.index("Outcome") < header.index("Source ip") < header.index("Access key id")


@pytest.mark.django_db
def test_the_audit_list_filters_by_outcome_person_and_role(admin_client):
    audit.record("signin", actor="dora")
    audit.record("signin.failed", actor="mallory", outcome="denied")
    audit.record("credentials.issued", actor="dora", role_alias="billing-reader")
    denied = admin_client.get("/admin/broker/auditevent/", {"outcome": "denied"}).content.decode()
    assert "mallory" in denied and "dora" not in denied
    dora = admin_client.get("/admin/broker/auditevent/", {"person": "DORA"}).content.decode()
    assert "dora" in dora and "mallory" not in dora
    role = admin_client.get("/admin/broker/auditevent/", {"role": "billing-reader"}).content.decode()
    assert re.search(r"\b1 audit event\b", role)


# --- the issuance list: still valid, revoke -------------------------------------------------


def issuance(alias: str, *, minutes_left: int, username: str = "alice") -> Issuance:
    role = Role.objects.get(alias=alias)
    return Issuance.objects.create(
        username=username,
        role=role,
        role_alias=alias,
        method=role.method,
        purpose="cli",
        access_key_id=f"ASIA{alias.upper().replace('-', '')[:12]}{minutes_left + 100}",
        expires_at=timezone.now() + timedelta(minutes=minutes_left),
    )


@pytest.mark.django_db
def test_the_issuance_list_shows_expiry_and_filters_still_valid(admin_client):
    live = issuance("prod-developer", minutes_left=30)
    gone = issuance("sandbox-admin", minutes_left=-30)
    page = admin_client.get("/admin/federation/issuance/", {"valid": "yes"}).content.decode()
    assert live.access_key_id in page and gone.access_key_id not in page
    assert "(still valid)" in page and "IAM role" in page
    expired = admin_client.get("/admin/federation/issuance/", {"valid": "no"}).content.decode()
    assert gone.access_key_id in expired and live.access_key_id not in expired
    person = admin_client.get("/admin/federation/issuance/", {"person": "bob"}).content.decode()
    assert live.access_key_id not in person


@pytest.mark.django_db
def test_revoking_issued_sessions_asks_first_then_revokes_their_roles(admin_client, aws):
    live = issuance("prod-developer", minutes_left=30)
    action = {"action": "revoke_issued_sessions", "_selected_action": [str(live.pk)]}
    confirm = admin_client.post("/admin/federation/issuance/", action)
    assert confirm.status_code == 200 and b"every session of these roles" in confirm.content
    from broker.models import AuditEvent

    assert not AuditEvent.objects.filter(action="role.revoked").exists()

    done = admin_client.post("/admin/federation/issuance/", {**action, "confirm": "yes"}, follow=True)
    assert done.status_code == 200
    revoked = AuditEvent.objects.get(action="role.revoked")
    assert (revoked.role_alias, revoked.outcome) == ("prod-developer", "ok")
    assert "AWSRevokeOlderSessions" in done.content.decode()
