"""The access decision: which roles a principal may use, and on what terms.

This is the only module that answers that question; the portal, the API,
the admin and the tasks all ask it. A role the principal may not use and a
role that does not exist raise the same ``RoleNotAvailable``, so callers
cannot probe for role names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from broker.prepared import PreparedQuery
from broker.principal import Principal
from federation.models import MFA_ANY, MFA_LEVELS, MFA_WEBAUTHN, MIN_SESSION_SECONDS, AwsAccount, Grant, Role
from federation.policies import PolicyError, validate_policy


class RoleNotAvailable(Exception):
    """The role does not exist or the principal holds no grant for it."""

    def __init__(self, alias: str) -> None:
        super().__init__(f"role {alias!r} is not available to you")
        self.alias = alias


class MfaRequired(RoleNotAvailable):
    """The principal holds the role only through grants that need a second factor it has not shown.

    ``level`` is what the grants ask for: ``"any"`` second factor, or ``"webauthn"`` (a passkey or
    security key). Callers answer 403 ``mfa_required``: the role exists for this principal, so
    saying so reveals nothing it could not see in its own role list.
    """

    MESSAGE = "this role needs a verified MFA code"
    WEBAUTHN_MESSAGE = "this role needs a passkey or security key (a phishing-resistant second factor)"

    def __init__(self, alias: str, level: str = MFA_ANY) -> None:
        super().__init__(alias)
        self.level = level
        self.args = (str(self),)

    def __str__(self) -> str:
        return self.WEBAUTHN_MESSAGE if self.level == MFA_WEBAUTHN else self.MESSAGE


class DurationOutOfRange(ValueError):
    """A requested session length falls outside what the grant allows."""


@dataclass(frozen=True)
class Entitlement:
    """A role a principal may use, with the terms of the grants that give it."""

    role: Role
    default_seconds: int
    max_seconds: int
    session_policy: dict[str, Any] | None
    # "" (none), "any" second factor, or "webauthn" (phishing-resistant): see Grant.require_mfa.
    require_mfa: str = ""

    def duration(self, requested: int | None, *, cap: int | None = None) -> int:
        """The session length to ask STS for, or ``DurationOutOfRange``."""
        upper = min(self.max_seconds, cap) if cap else self.max_seconds
        if requested is None:
            return min(self.default_seconds, upper)
        if not MIN_SESSION_SECONDS <= requested <= upper:
            raise DurationOutOfRange(
                f"duration must be between {MIN_SESSION_SECONDS} and {upper} seconds for {self.role.alias}"
            )
        return requested


def _merge_policies(grants: list[Grant]) -> dict[str, Any] | None:
    """The broadest terms among the grants: any unscoped grant means no scoping.

    Scoped grants are unioned by concatenating their statements, so each
    grant's allowances survive (a Deny in one applies to all, which errs safe).
    """
    if any(not grant.session_policy for grant in grants):
        return None
    for grant in grants:
        try:
            validate_policy(grant.session_policy)
        except PolicyError:
            # Kept as stored, so issuing refuses it with the reason (a 400).
            return grant.session_policy
    statements: list[Any] = []
    for grant in grants:
        body = grant.session_policy["Statement"]
        statements.extend(body if isinstance(body, list) else [body])
    return {"Version": "2012-10-17", "Statement": statements}


def _entitlement(role: Role, grants: list[Grant]) -> Entitlement:
    defaults = [grant.session_seconds for grant in grants if grant.session_seconds]
    default = max(defaults) if defaults else min(3600, role.max_session_seconds)
    return Entitlement(
        role=role,
        default_seconds=min(default, role.max_session_seconds),
        max_seconds=role.max_session_seconds,
        session_policy=_merge_policies(grants),
        # Like the policy: the broadest grant wins, so the weakest requirement among the grants applies.
        require_mfa=min((grant.require_mfa for grant in grants), key=MFA_LEVELS.index),
    )


def mfa_satisfied(entitlement: Entitlement, principal: Principal) -> bool:
    """A second factor is needed only by people, for roles whose grants all ask for one.

    API clients (``kind="api"``) are machines holding their own token: never asked.
    A person's personal API token carries no MFA proof, so it cannot use such a role.
    ``webauthn`` is met only by a passkey or security key shown in this session:
    not a TOTP or recovery code, and not the SAML IdP's MFA (which may be a phishable code).
    """
    if not entitlement.require_mfa:
        return True
    if principal.kind != "user":
        return True
    if entitlement.require_mfa == MFA_WEBAUTHN:
        return principal.mfa and principal.mfa_method == MFA_WEBAUTHN
    return principal.mfa


def entitlements(principal: Principal) -> list[Entitlement]:
    """Every role the principal may use, ordered by account then alias."""
    grants = (
        Grant.objects.filter(group__name__in=principal.groups)
        .select_related("role", "role__account")
        .order_by("role__account__name", "role__alias")
    )
    by_role: dict[int, tuple[Role, list[Grant]]] = {}
    for grant in grants:
        by_role.setdefault(grant.role_id, (grant.role, []))[1].append(grant)
    return [_entitlement(role, role_grants) for role, role_grants in by_role.values()]


# Asked on every API request (nothing about grants is cached): compiled once per thread.
_GRANTS = PreparedQuery(
    lambda groups, alias: Grant.objects.filter(group__name__in=groups, role__alias=alias),
    [("", Grant), ("role", Role), ("role__account", AwsAccount)],
)


def access_role(principal: Principal, alias: str) -> Entitlement:
    """The principal's entitlement to one role, or ``RoleNotAvailable``."""
    grants = _GRANTS(tuple(principal.groups), alias)
    if not grants:
        raise RoleNotAvailable(alias)
    entitlement = _entitlement(grants[0].role, grants)
    if not mfa_satisfied(entitlement, principal):
        raise MfaRequired(alias, entitlement.require_mfa)
    return entitlement


def holders(role: Role) -> list[str]:
    """Usernames that can reach a role through their groups (for the admin)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(groups__aws_grants__role=role, is_active=True).distinct()
    return sorted(users.values_list("username", flat=True))
