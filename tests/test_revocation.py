"""Revoking a role's sessions: the AWSRevokeOlderSessions policy reaches IAM and the cache forgets.

Against moto for what moto can show (the policy stored on the role, an old
session refused once IAM authorization is on, the cache purge seen as a
fresh STS call) and against a botocore Stubber for the exact request.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from broker.models import AuditEvent
from devtools.aws_demo import SANDBOX_ACCOUNT
from federation import iam, revocation, sts
from federation.models import AwsAccount, Role
from tests.apifixtures import issuing
from tests.conftest import signed_in

CREDENTIALS = "/api/v1/roles/prod-developer/credentials"
SANDBOX_ADMIN_ROLE = f"arn:aws:iam::{SANDBOX_ACCOUNT}:role/OrganizationAccountAccessRole"


@pytest.fixture
def admin_client(admin_user):  # type: ignore[no-untyped-def]
    return signed_in(admin_user)


def role_iam(role: Role) -> Any:
    """An IAM client in the role's account, as the broker would use it."""
    return iam._client(role)


def inline_policy(role: Role, name: str) -> dict[str, Any]:
    document = role_iam(role).get_role_policy(RoleName=role.name, PolicyName=name)["PolicyDocument"]
    return json.loads(document) if isinstance(document, str) else document


@pytest.fixture
def clean_roles(aws: str) -> Iterator[None]:
    """Remove the inline policies tests attach, so the shared moto stays as provisioned."""
    yield
    for role in Role.objects.exclude(arn="").select_related("account"):
        if role.account.account_id != sts.broker_account_id() and not role.account.admin_role_arn:
            continue
        client = role_iam(role)
        for name in client.list_role_policies(RoleName=role.name)["PolicyNames"]:
            client.delete_role_policy(RoleName=role.name, PolicyName=name)


def revoke(admin_client, *roles: Role):  # type: ignore[no-untyped-def]
    form = {"action": "revoke_sessions", "_selected_action": [r.pk for r in roles], "confirm": "yes"}
    return admin_client.post("/admin/federation/role/", form, follow=True)


@pytest.mark.django_db
def test_the_action_asks_for_confirmation_first(admin_client, grants, clean_roles):
    role = Role.objects.get(alias="prod-developer")
    page = admin_client.post(
        "/admin/federation/role/", {"action": "revoke_sessions", "_selected_action": [role.pk]}
    )

    assert page.status_code == 200 and "AWS cannot cancel a session" in page.content.decode()
    assert not AuditEvent.objects.filter(action="role.revoked").exists()


@pytest.mark.django_db
def test_revoking_a_role_puts_aws_revoke_older_sessions_on_it_in_moto(
    admin_client, api, sts_calls, clean_roles
):
    role = Role.objects.get(alias="prod-developer")
    before = api.get(CREDENTIALS).json()
    started = datetime.now(UTC).replace(microsecond=0)

    page = revoke(admin_client, role).content.decode()

    document = inline_policy(role, "AWSRevokeOlderSessions")
    [statement] = document["Statement"]
    assert (statement["Effect"], statement["Action"], statement["Resource"]) == ("Deny", ["*"], ["*"])
    stamp = statement["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    issued_before = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert started < issued_before <= datetime.now(UTC) + timedelta(seconds=2)
    assert "AWSRevokeOlderSessions denies sessions issued before" in page
    assert "1 cached session(s) purged" in page

    # The cache forgot the revoked session: the next request makes a fresh STS call.
    after = api.get(CREDENTIALS).json()
    assert after["AccessKeyId"] != before["AccessKeyId"]
    assert issuing(sts_calls) == 2
    event = AuditEvent.objects.get(action="role.revoked")
    assert (event.actor, event.role_alias, event.outcome) == ("admin", "prod-developer", "ok")
    assert event.detail["revoked_before"] == stamp
    assert AuditEvent.objects.get(action="cache.purged").detail == {"alias": "prod-developer", "purged": 1}


def moto_auth(endpoint: str, count: float) -> None:
    """Turn moto's IAM authorization on (after ``count`` more requests) or off (``inf``)."""
    request = urllib.request.Request(  # noqa: S310 - the local moto server
        f"{endpoint}/moto-api/reset-auth",
        data=str(count).encode(),
        headers={"Content-Type": "text/plain"},  # not a form: moto reads the raw body
        method="POST",
    )
    urllib.request.urlopen(request, timeout=5).close()  # noqa: S310 - the local moto server


@pytest.mark.django_db
def test_moto_refuses_a_session_issued_before_the_revocation(admin_client, aws, alice, clean_roles):
    """An old session is refused by moto once the policy is on the role.

    moto (5.2.5) authorizes requests only after ``/moto-api/reset-auth`` (the
    server-mode form of ``set_initial_no_auth_action_count``), and then it
    evaluates an assumed role's inline and attached policies, Deny first.
    It cannot tell an old session from a new one, though: its policy
    evaluation (``moto/iam/access_control.py``) passes no request context to
    conditions, and of condition operators it knows only ``StringEquals``,
    ignoring the rest (``DateLessThan`` included). So in moto the deny
    applies to every session of the role, new ones too; this test asserts
    only what AWS also does (the old session is refused). That new sessions
    still work, and that the condition names the right moment, is asserted on
    the document itself (above, and with a Stubber below).
    """
    role = Role.objects.get(alias="prod-developer")
    old = revocation_subject_session(alice)
    admin_iam = sts.aws_client("iam")
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}],
    }
    admin_iam.put_role_policy(RoleName=role.name, PolicyName="CanListRoles", PolicyDocument=json.dumps(allow))
    as_old = sts.aws_client("iam", old)
    try:
        moto_auth(aws, 0)
        as_old.list_roles()  # authorization is on, and the session is allowed before the revocation
        moto_auth(aws, float("inf"))
        revoke(admin_client, role)
        moto_auth(aws, 0)
        with pytest.raises(ClientError) as refused:
            as_old.list_roles()
    finally:
        moto_auth(aws, float("inf"))
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def revocation_subject_session(user: Any) -> sts.Credentials:
    """A session alice obtained through the portal's action, before any revocation."""
    from broker.principal import principal_for
    from federation.actions import issue_credentials

    return issue_credentials(principal=principal_for(user), alias="prod-developer").credentials


@pytest.mark.django_db
def test_the_request_to_iam_is_the_console_document(grants, monkeypatch):
    role = Role.objects.get(alias="prod-developer")
    now = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    client = sts.aws_client("iam")
    stub = Stubber(client)
    expected = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2030-01-02T03:04:06Z"}},
            }
        ],
    }
    params = {
        "RoleName": "Developer",
        "PolicyName": "AWSRevokeOlderSessions",
        "PolicyDocument": json.dumps(expected, separators=(",", ":")),
    }
    stub.add_response("put_role_policy", {}, params)
    monkeypatch.setattr(sts, "broker_account_id", lambda: "123456789012")
    monkeypatch.setattr(sts, "aws_client", lambda service, credentials=None: client)
    monkeypatch.setattr(revocation.timezone, "now", lambda: now)

    with stub:
        steps = revocation.revoke_role_sessions(role=role, actor="admin")
    stub.assert_no_pending_responses()
    assert steps[0].ok


@pytest.mark.django_db
def test_a_role_in_another_account_needs_that_accounts_admin_role(admin_client, aws, grants, clean_roles):
    role = Role.objects.get(alias="sandbox-admin")

    page = revoke(admin_client, role).content.decode()
    assert "revoke its sessions in that account" in page
    assert AuditEvent.objects.get(action="role.revoked").outcome == "error"

    AwsAccount.objects.filter(account_id=SANDBOX_ACCOUNT).update(admin_role_arn=SANDBOX_ADMIN_ROLE)
    role.refresh_from_db()
    revoke(admin_client, role)
    stamp = inline_policy(role, "AWSRevokeOlderSessions")["Statement"][0]["Condition"]["DateLessThan"]
    assert stamp["aws:TokenIssueTime"].endswith("Z")


@pytest.mark.django_db
def test_a_federation_token_role_cannot_be_revoked_by_policy(admin_client, aws, grants):
    page = revoke(admin_client, Role.objects.get(alias="prod-s3-reader")).content.decode()

    assert "GetFederationToken role: it has no IAM role" in page


def test_the_documents_match_what_aws_documents():
    moment = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert iam.revoke_older_sessions_document(moment)["Statement"][0]["Condition"] == {
        "DateLessThan": {"aws:TokenIssueTime": "2024-05-06T07:08:09Z"}
    }
    assert iam.deny_source_identity_document("alice")["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceIdentity": "alice"}
    }


def test_an_accounts_admin_role_must_be_a_role_in_that_account():
    from django.core.exceptions import ValidationError

    AwsAccount(account_id=SANDBOX_ACCOUNT, name="Sandbox", admin_role_arn=SANDBOX_ADMIN_ROLE).clean()
    with pytest.raises(ValidationError, match="role ARN in this account"):
        AwsAccount(account_id=SANDBOX_ACCOUNT, admin_role_arn="arn:aws:iam::123456789012:role/Admin").clean()
