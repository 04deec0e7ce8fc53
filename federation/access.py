"""The access decision: which roles a principal may use, and on what terms.

This is the only module that answers that question; the portal, the API,
the admin and the tasks all ask it. A role the principal may not use and a
role that does not exist raise the same ``RoleNotAvailable``, so callers
cannot probe for role names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from broker.prepared import PreparedQuery
from broker.principal import Principal
from federation.models import (
    MFA_ANY,
    MFA_LEVELS,
    MFA_WEBAUTHN,
    MIN_SESSION_SECONDS,
    WEB_IDENTITY,
    AwsAccount,
    Grant,
    Role,
)
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


class WebIdentityUnavailable(RoleNotAvailable):
    """A web-identity role asked for without an ID token: an API client, or a sign-in not made with OIDC."""

    MESSAGE = (
        "this role is reached with your own OpenID Connect ID token (web identity); "
        "sign in to the portal with your identity provider to use it"
    )

    def __init__(self, alias: str) -> None:
        super().__init__(alias)
        self.args = (self.MESSAGE,)

    def __str__(self) -> str:
        return self.MESSAGE


class DurationOutOfRange(ValueError):
    """A requested session length falls outside what the grant allows."""


class ElevationEnding(DurationOutOfRange):
    """An elevation has less left than AWS's shortest session: no new session may start."""


@dataclass(frozen=True)
class Entitlement:
    """A role a principal may use, with the terms of the grants that give it."""

    role: Role
    default_seconds: int
    max_seconds: int
    session_policy: dict[str, Any] | None
    # "" (none), "any" second factor, or "webauthn" (phishing-resistant): see Grant.require_mfa.
    require_mfa: str = ""
    # Set when the role is used through an active elevation: no session may outlive it.
    ends_at: datetime | None = None

    def within_elevation(self, seconds: int) -> int:
        """``seconds`` cut at the elevation's end; ``ElevationEnding`` under AWS's 900 s minimum."""
        if self.ends_at is None:
            return seconds
        left = int((self.ends_at - timezone.now()).total_seconds())
        if left < MIN_SESSION_SECONDS:
            raise ElevationEnding(
                f"your elevation for {self.role.alias} ends in {max(left, 0)} s, under the shortest session "
                f"AWS issues ({MIN_SESSION_SECONDS} s): no new session can start. Request the role again."
            )
        return min(seconds, left)

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


def _entitlement(role: Role, grants: list[Grant], ends_at: datetime | None = None) -> Entitlement:
    defaults = [grant.session_seconds for grant in grants if grant.session_seconds]
    default = max(defaults) if defaults else min(3600, role.max_session_seconds)
    return Entitlement(
        role=role,
        default_seconds=min(default, role.max_session_seconds),
        max_seconds=role.max_session_seconds,
        session_policy=_merge_policies(grants),
        # Like the policy: the broadest grant wins, so the weakest requirement among the grants applies.
        require_mfa=min((grant.require_mfa for grant in grants), key=MFA_LEVELS.index),
        ends_at=ends_at,
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


def _by_role(grants: Any) -> dict[int, tuple[Role, list[Grant]]]:
    by_role: dict[int, tuple[Role, list[Grant]]] = {}
    for grant in grants:
        by_role.setdefault(grant.role_id, (grant.role, []))[1].append(grant)
    return by_role


def entitlements(principal: Principal) -> list[Entitlement]:
    """Every role the principal may use now (standing, or elevated), ordered by account then alias."""
    grants = (
        Grant.objects.filter(group__name__in=principal.groups)
        .select_related("role", "role__account", "approval")
        .order_by("role__account__name", "role__alias")
    )
    found = []
    for role, role_grants in _by_role(grants).values():
        standing = [grant for grant in role_grants if not _eligible_grant(grant)]
        if standing:
            found.append(_entitlement(role, standing))
        elif (ends_at := _elevation_end(principal, role)) is not None:
            found.append(_entitlement(role, role_grants, ends_at))
    return found


# --- Just-in-time elevation (federation.elevation) ----------------------------------------------
# A grant with an approval rule is *eligible*, not standing: its role answers like one the principal
# does not hold until an approved request for it is active, and then only until the request's end.
# A standing grant for the same role wins (the broadest grant wins, as above).


def _eligible_grant(grant: Grant) -> bool:
    return hasattr(grant, "approval")


def _elevation_end(principal: Principal, role: Role) -> datetime | None:
    """When the principal's active elevation for ``role`` ends, or ``None`` without one. People only."""
    from federation.elevation.models import AccessRequest

    if principal.kind != "user":
        return None
    return (
        AccessRequest.objects.filter(
            requester_name=principal.username,
            role=role,
            state=AccessRequest.State.ACTIVE,
            ends_at__gt=timezone.now(),
        )
        .order_by("-ends_at")
        .values_list("ends_at", flat=True)
        .first()
    )


def _eligible_grants(principal: Principal, alias: str | None = None) -> list[Grant]:
    grants = Grant.objects.filter(group__name__in=principal.groups, approval__isnull=False)
    if alias is not None:
        grants = grants.filter(role__alias=alias)
    return list(grants.select_related("role", "role__account", "approval", "group").order_by("role__alias"))


def _elevated(principal: Principal, alias: str) -> Entitlement:
    grants = _eligible_grants(principal, alias)
    ends_at = _elevation_end(principal, grants[0].role) if grants else None
    if ends_at is None:
        raise RoleNotAvailable(alias)
    return _entitlement(grants[0].role, grants, ends_at)


def _rule(grants: list[Grant]) -> Any:
    """With several eligible grants for one role, the longest elevation wins (then the group name)."""
    return max(grants, key=lambda grant: (grant.approval.max_seconds, grant.group.name)).approval


def eligible_rules(principal: Principal) -> list[Any]:
    """The approval rule for each role the principal may request (and does not hold standing)."""
    standing = set(
        Grant.objects.filter(group__name__in=principal.groups, approval__isnull=True).values_list(
            "role_id", flat=True
        )
    )
    eligible = [grant for grant in _eligible_grants(principal) if grant.role_id not in standing]
    return [_rule(grants) for _, grants in _by_role(eligible).values()]


def eligible_rule(principal: Principal, alias: str) -> Any:
    """The approval rule the principal requests ``alias`` under, or ``RoleNotAvailable``."""
    if principal.kind != "user" or _GRANTS(tuple(principal.groups), alias):
        raise RoleNotAvailable(alias)  # a client, or a role held standing: nothing to request
    grants = _eligible_grants(principal, alias)
    if not grants:
        raise RoleNotAvailable(alias)
    return _rule(grants)


# Asked on every API request (nothing about grants is cached): compiled once per thread.
# Standing grants only; an eligible one is looked at when no standing grant answers.
_GRANTS = PreparedQuery(
    lambda groups, alias: Grant.objects.filter(
        group__name__in=groups, role__alias=alias, approval__isnull=True
    ),
    [("", Grant), ("role", Role), ("role__account", AwsAccount)],
)


def access_role(principal: Principal, alias: str) -> Entitlement:
    """The principal's entitlement to one role, or ``RoleNotAvailable``."""
    grants = _GRANTS(tuple(principal.groups), alias)
    entitlement = _entitlement(grants[0].role, grants) if grants else _elevated(principal, alias)
    if not mfa_satisfied(entitlement, principal):
        raise MfaRequired(alias, entitlement.require_mfa)
    if entitlement.role.method == WEB_IDENTITY and principal.web_identity is None:
        raise WebIdentityUnavailable(alias)
    return entitlement


def holders(role: Role) -> list[str]:
    """Usernames that can reach a role through their groups (for the admin)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(
        groups__aws_grants__role=role, groups__aws_grants__approval__isnull=True, is_active=True
    )
    users = users.distinct()
    return sorted(users.values_list("username", flat=True))
