"""AWS's rules for a SAML assertion, checked before anything is signed.

An assertion AWS refuses reaches the person as AWS's generic sign-in error
page, with no reason; so every rule AWS documents for AssumeRoleWithSAML and
its SAML sign-in is checked here first and refused with the reason (a 400,
or an admin validation error). Naming: ``role_arn`` and ``provider_arn`` are
full ARNs; ``session_name`` is a sanitised RoleSessionName.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from federation import tags
from federation.models import MAX_ASSUME_ROLE_SECONDS, MIN_SESSION_SECONDS
from federation.partitions import ROLE_ARN, SAML_PROVIDER_ARN

# AssumeRoleWithSAML's SAMLAssertion: 4 to 100,000 characters of base64.
MAX_ASSERTION_CHARS = 100_000
_NAME = re.compile(r"^[\w+=,.@-]{2,64}$", re.ASCII)


class AssertionRefused(ValueError):
    """AWS would refuse this assertion; the message says which rule (400)."""

    status = 400
    code = "invalid_saml_assertion"


@dataclass(frozen=True)
class Claims:
    """What one assertion says about one session: everything AWS reads from it."""

    role_arn: str
    provider_arn: str
    session_name: str
    source_identity: str
    duration_seconds: int
    max_seconds: int = MAX_ASSUME_ROLE_SECONDS
    tags: Mapping[str, str] = field(default_factory=dict)
    transitive_keys: Sequence[str] = ()

    @property
    def role_pair(self) -> str:
        return f"{self.role_arn},{self.provider_arn}"


def check_pair(role_arn: str, provider_arn: str) -> None:
    """The Role attribute's pair: both ARNs well formed, one account and one partition, no comma inside."""
    role, provider = ROLE_ARN.match(role_arn), SAML_PROVIDER_ARN.match(provider_arn)
    if role is None:
        raise AssertionRefused(f"{role_arn!r} is not an IAM role ARN")
    if provider is None:
        raise AssertionRefused(f"{provider_arn!r} is not an IAM SAML provider ARN")
    if "," in role_arn:
        raise AssertionRefused(
            "a role ARN with a comma cannot be named in the SAML Role attribute (role,provider)"
        )
    if (role["partition"], role["account"]) != (provider["partition"], provider["account"]):
        raise AssertionRefused(
            f"the role ({role['partition']}, {role['account']}) and the SAML provider "
            f"({provider['partition']}, {provider['account']}) must be in the same account and partition"
        )


def _check_name(value: str, what: str) -> None:
    if not _NAME.match(value):
        raise AssertionRefused(f"{what} must be 2 to 64 characters of letters, digits and _+=,.@-")


def _check_tags(claims: Claims) -> None:
    try:
        tags.check_mapping({key: "value" for key in claims.tags})
    except tags.SessionTagError as exc:
        raise AssertionRefused(str(exc)) from None
    for key, value in claims.tags.items():
        if len(value) > tags.MAX_VALUE_CHARS:
            raise AssertionRefused(f"session tag {key} is longer than {tags.MAX_VALUE_CHARS} characters")
    missing = [key for key in claims.transitive_keys if key not in claims.tags]
    if missing:
        raise AssertionRefused(
            f"transitive tag keys must be session tags of this session: {', '.join(missing)}"
        )


def check(claims: Claims) -> None:
    """Every rule AWS applies to these claims; ``AssertionRefused`` naming the first one broken."""
    check_pair(claims.role_arn, claims.provider_arn)
    _check_name(claims.session_name, "RoleSessionName")
    _check_name(claims.source_identity, "SourceIdentity")
    if claims.source_identity.lower().startswith("aws:"):
        raise AssertionRefused("SourceIdentity may not start with aws:")
    upper = min(claims.max_seconds, MAX_ASSUME_ROLE_SECONDS)
    if not MIN_SESSION_SECONDS <= claims.duration_seconds <= upper:
        raise AssertionRefused(f"SessionDuration must be between {MIN_SESSION_SECONDS} and {upper} seconds")
    _check_tags(claims)


def check_size(encoded: str) -> None:
    if len(encoded) > MAX_ASSERTION_CHARS:
        raise AssertionRefused(
            f"the signed assertion is {len(encoded)} characters of base64; AWS takes at most "
            f"{MAX_ASSERTION_CHARS} (fewer or shorter session tags)"
        )
