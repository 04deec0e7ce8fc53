"""An elevation ended early is denied in AWS too, and the deny is removed once it is moot.

The exact request to IAM is checked with a botocore Stubber; its effect with
moto's IAM authorization on (``/moto-api/reset-auth``), as
tests/test_revocation.py does for the role-wide revocation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from django.utils import timezone

from broker.models import AuditEvent
from devtools.aws_demo import SANDBOX_ACCOUNT
from federation import sts
from federation.elevation import denial, states, tasks
from federation.elevation.models import AccessRequest
from federation.models import AwsAccount, Role
from tests.conftest import make_user
from tests.elevation_support import decide
from tests.test_revocation import (
    SANDBOX_ADMIN_ROLE,
    clean_roles,  # noqa: F401 - fixture
    inline_policy,
    moto_auth,
    role_iam,
)

Denial = AccessRequest.Denial
POLICY = "BrokerElevationEnded-alice"


def actor(user, **options) -> states.Actor:  # type: ignore[no-untyped-def]
    from broker.principal import Principal

    return states.Actor(principal=Principal.from_user(user), user_id=user.pk, stepped_up=True, **options)


def active_request(alice, dave, alias: str = "prod-readonly") -> AccessRequest:  # type: ignore[no-untyped-def]
    request = states.request_elevation(
        actor=actor(alice), alias=alias, duration_seconds=3600, justification="incident"
    )
    return states.approve(actor=actor(dave), request_id=request.pk)


@pytest.mark.django_db
def test_the_deny_sent_to_iam_is_exactly_what_aws_expects(eligible, alice, dave, monkeypatch,
                                                          django_capture_on_commit_callbacks):  # fmt: skip
    moment = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    request = active_request(alice, dave)
    client = sts.aws_client("iam")
    stub = Stubber(client)
    expected = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {
                    "StringEquals": {"aws:SourceIdentity": "alice"},
                    "DateLessThan": {"aws:TokenIssueTime": "2030-01-02T03:04:06Z"},
                },
            }
        ],
    }
    params = {
        "RoleName": "ReadOnly",
        "PolicyName": POLICY,
        "PolicyDocument": json.dumps(expected, separators=(",", ":")),
    }
    stub.add_response("put_role_policy", {}, params)
    monkeypatch.setattr(sts, "broker_account_id", lambda: "123456789012")
    monkeypatch.setattr(sts, "aws_client", lambda service, credentials=None: client)

    with stub, django_capture_on_commit_callbacks(execute=True):
        states.revoke(actor=actor(dave), request_id=request.pk, comment="incident over")
    stub.assert_no_pending_responses()
    request.refresh_from_db()
    assert (request.state, request.denial) == ("revoked", Denial.APPLIED)
    event = AuditEvent.objects.get(action="elevation.aws_deny")
    assert event.outcome == "ok" and "2030-01-02T03:04:06Z" in event.detail["detail"]


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_roles")
def test_moto_refuses_a_session_issued_under_the_revoked_elevation(
    aws, eligible, alice, dave, dave_client, django_capture_on_commit_callbacks
):
    """moto (5.2.5) evaluates the deny's ``StringEquals`` on ``aws:SourceIdentity`` but ignores
    ``DateLessThan`` (see tests/test_revocation.py): so in moto the deny stops every session of
    alice on the role; that it spares later ones is asserted on the document (above)."""
    from broker.principal import principal_for
    from federation.actions import issue_credentials

    role = Role.objects.get(alias="prod-readonly")
    request = active_request(alice, dave)
    old = issue_credentials(principal=principal_for(alice), alias="prod-readonly").credentials
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}],
    }
    role_iam(role).put_role_policy(
        RoleName=role.name, PolicyName="CanListRoles", PolicyDocument=json.dumps(allow)
    )
    as_old = sts.aws_client("iam", old)
    try:
        moto_auth(aws, 0)
        as_old.list_roles()  # allowed before the revocation
        moto_auth(aws, float("inf"))
        with django_capture_on_commit_callbacks(execute=True):
            decide(dave_client, request, "revoke")
        moto_auth(aws, 0)
        with pytest.raises(ClientError) as refused:
            as_old.list_roles()
    finally:
        moto_auth(aws, float("inf"))
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    statement = inline_policy(role, POLICY)["Statement"][0]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceIdentity": "alice"}


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_roles")
def test_cleanup_removes_the_deny_once_the_sessions_have_expired(
    aws, eligible, alice, dave, move_time, django_capture_on_commit_callbacks
):
    role = Role.objects.get(alias="prod-readonly")
    request = active_request(alice, dave)
    with django_capture_on_commit_callbacks(execute=True):
        states.cancel(actor=actor(alice), request_id=request.pk)
    assert POLICY in role_iam(role).list_role_policies(RoleName="ReadOnly")["PolicyNames"]

    assert tasks.cleanup_denials() == {"retried": 0, "removed": 0}  # sessions may still be alive
    move_time(timedelta(hours=1, minutes=2))
    assert tasks.cleanup_denials() == {"retried": 0, "removed": 1}
    assert tasks.cleanup_denials() == {"retried": 0, "removed": 0}  # idempotent

    assert POLICY not in role_iam(role).list_role_policies(RoleName="ReadOnly")["PolicyNames"]
    request.refresh_from_db()
    assert request.denial == Denial.REMOVED


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_roles")
def test_a_deny_iam_refuses_is_recorded_and_retried_by_cleanup(
    aws, grants, alice, django_capture_on_commit_callbacks
):
    """sandbox-admin lives in another account: without its admin role the deny fails, then works."""
    from federation.grantsfile import load
    from tests.conftest import DEMO_GRANTS
    from tests.elevation_support import ELIGIBLE

    load(DEMO_GRANTS.read_text() + ELIGIBLE.format(approvals=1).replace("prod-readonly", "sandbox-admin")
         .replace("group: developers", "group: testers"))  # fmt: skip
    tester = make_user("tess", "testers")
    dave = make_user("dave", "leads")
    request = active_request(tester, dave, alias="sandbox-admin")
    with django_capture_on_commit_callbacks(execute=True):
        states.revoke(actor=actor(dave), request_id=request.pk)
    request.refresh_from_db()
    assert (request.state, request.denial) == ("revoked", Denial.FAILED)
    failed = AuditEvent.objects.get(action="elevation.aws_deny")
    assert failed.outcome == "error" and "set the account's admin role ARN" in failed.detail["detail"]

    AwsAccount.objects.filter(account_id=SANDBOX_ACCOUNT).update(admin_role_arn=SANDBOX_ADMIN_ROLE)
    assert tasks.cleanup_denials() == {"retried": 1, "removed": 0}
    request.refresh_from_db()
    assert request.denial == Denial.APPLIED
    role = Role.objects.get(alias="sandbox-admin")
    assert "BrokerElevationEnded-tess" in role_iam(role).list_role_policies(RoleName="Admin")["PolicyNames"]


def test_the_policy_name_is_the_sanitised_session_name():
    assert denial.policy_name("alice@example.com") == "BrokerElevationEnded-alice@example.com"
    assert denial.policy_name("a b/c") == "BrokerElevationEnded-a-b-c"
