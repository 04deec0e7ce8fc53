"""The IAM wrapper: the two inline deny policies that revocation attaches to a role.

STS sessions cannot be cancelled. What AWS offers instead is a deny on the
role that matches the sessions to stop:

- ``AWSRevokeOlderSessions`` (the policy the IAM console's "Revoke active
  sessions" writes): deny everything to sessions whose ``aws:TokenIssueTime``
  is before now. New sessions work at once.
- ``BrokerDenySourceIdentity-<session name>``: deny everything to sessions
  whose ``aws:SourceIdentity`` is that user's (the broker sets it on every
  AssumeRole), now and later, until an admin deletes the policy.
- ``BrokerElevationEnded-<session name>`` (``federation.elevation.denial``):
  deny everything to that user's sessions issued before an elevation ended
  early; removed by a task once those sessions have expired.

IAM writes happen in the role's own account: with the broker's own
credentials when the role is in the broker's account, else through the
account's ``admin_role_arn``. boto3 stays in ``federation.sts``.

The same way, ``upsert_saml_provider`` creates or updates an account's IAM
SAML provider with the broker's metadata (``manage.py awssamlprovider``):
the one step of keyless federation that needs AWS credentials.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from federation import sts
from federation.models import AwsAccount, Role

REVOKE_POLICY_NAME = "AWSRevokeOlderSessions"
DENY_USER_PREFIX = "BrokerDenySourceIdentity-"


class RevocationError(Exception):
    """IAM could not be changed; the message says what to do instead."""


IamError = RevocationError  # the same failure, named for the IAM writes that are not revocations


def _deny_everything_when(condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": ["*"], "Resource": ["*"], "Condition": condition}],
    }


def revoke_older_sessions_document(before: datetime) -> dict[str, Any]:
    """Deny everything to sessions issued before ``before`` (what the IAM console writes)."""
    return _deny_everything_when({"DateLessThan": {"aws:TokenIssueTime": iso(before)}})


def deny_source_identity_document(session_name: str) -> dict[str, Any]:
    return _deny_everything_when({"StringEquals": {"aws:SourceIdentity": session_name}})


def deny_source_identity_before_document(session_name: str, before: datetime) -> dict[str, Any]:
    """Deny everything to that user's sessions issued before ``before`` (an elevation ended early)."""
    return _deny_everything_when(
        {
            "StringEquals": {"aws:SourceIdentity": session_name},
            "DateLessThan": {"aws:TokenIssueTime": iso(before)},
        }
    )


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def deny_user_policy_name(session_name: str) -> str:
    return f"{DENY_USER_PREFIX}{session_name}"


def _client(role: Role) -> Any:
    """An IAM client acting in the role's account, or ``RevocationError`` saying why not."""
    if not role.arn:
        raise RevocationError(
            f"{role.alias} is a GetFederationToken role: it has no IAM role to attach a deny to"
        )
    hint = f"revoke its sessions in that account (IAM console, role {role.name}, 'Revoke active sessions')"
    return _account_client(role.account, what=role.alias, hint=hint)


def _account_client(account: AwsAccount, *, what: str, hint: str) -> Any:
    try:
        if account.account_id == sts.broker_account_id():
            return sts.aws_client("iam")
        if not account.admin_role_arn:
            raise RevocationError(
                f"{what} is in account {account.account_id}, not the broker's: {hint}, "
                "or set the account's admin role ARN so the broker can"
            )
        return sts.aws_client("iam", sts.assume_admin_role(role_arn=account.admin_role_arn))
    except sts.StsError as exc:
        raise RevocationError(f"could not act in account {account.account_id}: {exc}") from None


def put_role_policy(role: Role, name: str, document: dict[str, Any]) -> None:
    iam = _client(role)
    try:
        iam.put_role_policy(
            RoleName=role.name, PolicyName=name, PolicyDocument=json.dumps(document, separators=(",", ":"))
        )
    except Exception as exc:
        code = sts.error_code(exc)
        if code is None:
            raise
        raise RevocationError(f"IAM refused to change role {role.name} ({code})") from None


def revoke_older_sessions(role: Role, *, before: datetime) -> dict[str, Any]:
    document = revoke_older_sessions_document(before)
    put_role_policy(role, REVOKE_POLICY_NAME, document)
    return document


def deny_source_identity(role: Role, *, session_name: str) -> str:
    name = deny_user_policy_name(session_name)
    put_role_policy(role, name, deny_source_identity_document(session_name))
    return name


def delete_role_policy(role: Role, name: str) -> bool:
    """Remove an inline policy; ``False`` when it was already gone (so cleanup is idempotent)."""
    iam = _client(role)
    try:
        iam.delete_role_policy(RoleName=role.name, PolicyName=name)
    except Exception as exc:
        code = sts.error_code(exc)
        if code == "NoSuchEntity":
            return False
        if code is None:
            raise
        raise RevocationError(f"IAM refused to change role {role.name} ({code})") from None
    return True


def upsert_saml_provider(account: AwsAccount, *, name: str, metadata: str) -> tuple[str, bool]:
    """Create the account's SAML provider, or update it with ``metadata``; (its ARN, created?)."""
    hint = "add the provider in that account (IAM console, Identity providers, metadata from --print)"
    iam = _account_client(account, what=f"account {account.name}", hint=hint)
    arn = (
        account.saml_provider_arn or f"arn:{account.partition}:iam::{account.account_id}:saml-provider/{name}"
    )
    try:
        try:
            iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=metadata)
            return arn, False
        except Exception as exc:
            if sts.error_code(exc) != "NoSuchEntity":
                raise
        created = iam.create_saml_provider(Name=arn.rsplit("/", 1)[-1], SAMLMetadataDocument=metadata)
        return created["SAMLProviderArn"], True
    except Exception as exc:
        code = sts.error_code(exc)
        if code is None:
            raise
        raise IamError(f"IAM refused to write SAML provider {arn} ({code})") from None
