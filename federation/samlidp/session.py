"""A saml role's session: the claims for one person, signed, then traded with STS.

``claims_for`` is where a role, a person and a duration become what the
assertion says; ``obtain`` is the CLI/API/refresh path (AssumeRoleWithSAML,
an unsigned call, so the broker needs no AWS credentials); the console path
posts the same kind of assertion from the browser (``console``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from broker.principal import Principal
from federation import sts
from federation.models import Role
from federation.partitions import Partition
from federation.samlidp import assertion
from federation.samlidp.rules import AssertionRefused, Claims
from federation.tags import session_tags


def endpoint(partition: Partition) -> str:
    """AWS's SAML sign-in URL for the partition: Recipient, Destination and the console form's action."""
    return settings.BROKER_SAML_SIGNIN_URL or partition.saml_url


def claims_for(role: Role, principal: Principal, *, duration_seconds: int) -> Claims:
    provider_arn = role.account.saml_provider_arn
    if not provider_arn:
        raise AssertionRefused(
            f"account {role.account.account_id} has no SAML provider ARN; an admin must set it "
            "(manage.py awssamlprovider)"
        )
    tags = session_tags(role.session_tags, principal)
    name = sts.session_name(principal.username)
    return Claims(
        role_arn=role.arn,
        provider_arn=provider_arn,
        session_name=name,
        source_identity=name,
        duration_seconds=duration_seconds,
        max_seconds=role.max_session_seconds,
        tags=tags,
        transitive_keys=[key for key in settings.BROKER_AWS_SAML_TRANSITIVE_TAG_KEYS if key in tags],
    )


def sign(role: Role, principal: Principal, *, duration_seconds: int) -> assertion.Signed:
    """A signed Response for ``principal`` in ``role``, addressed to the role's partition."""
    claims = claims_for(role, principal, duration_seconds=duration_seconds)
    partition = role.partition
    return assertion.build(
        claims, endpoint=endpoint(partition), audience=partition.saml_audience, username=principal.username
    )


def obtain(
    role: Role, principal: Principal, *, duration_seconds: int, policy: dict[str, Any] | None = None
) -> sts.Credentials:
    """Credentials for a saml role through AssumeRoleWithSAML; no AWS key is used."""
    signed = sign(role, principal, duration_seconds=duration_seconds)
    return sts.assume_role_with_saml(
        role_arn=role.arn,
        provider_arn=role.account.saml_provider_arn,
        assertion=signed.encoded,
        duration_seconds=duration_seconds,
        policy=policy,
    )
