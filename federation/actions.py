"""Multi-step operations with side effects: the STS call, the ledger, the audit.

Views, the API, the admin and Celery tasks call these keyword-only
functions, so every credential leaves exactly one ledger row and one audit
event however it was asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from broker import audit, metrics
from broker.prepared import PreparedInsert
from broker.principal import Principal
from federation import chaining, signin, sts
from federation.access import Entitlement, access_role
from federation.models import ASSUME_ROLE, FEDERATION_TOKEN, SAML, WEB_IDENTITY, Issuance
from federation.policies import PolicyError, validate_policy
from federation.samlidp import session as samlidp
from federation.tags import session_tags


@dataclass(frozen=True)
class Issued:
    credentials: sts.Credentials
    entitlement: Entitlement
    duration_seconds: int


def session_policy_for(
    entitlement: Entitlement, requested: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The policy STS receives: the grant's scoping, or a caller's own narrowing.

    A caller (the API's ``policy``) may narrow an unscoped role grant (AssumeRole
    or saml), since AWS intersects a session policy with the role. It may not be
    combined with a grant's scoping (one inline policy cannot express an
    intersection) nor replace a federation-token policy (that would widen it).
    """
    role = entitlement.role
    if requested is not None:
        if role.method == FEDERATION_TOKEN:
            raise PolicyError("a policy can only narrow IAM roles; this one is a federation token")
        if entitlement.session_policy:
            raise PolicyError("your grant already scopes this role; a policy of yours cannot be added to it")
        validate_policy(requested)
        return requested
    if role.method != FEDERATION_TOKEN:
        return entitlement.session_policy
    # A federated user's rights are the intersection of this policy with
    # the broker user's own, so a grant's scoping replaces the role's.
    return entitlement.session_policy or role.federation_policy


def _obtain(
    entitlement: Entitlement,
    *,
    principal: Principal,
    duration_seconds: int,
    policy: dict[str, Any] | None = None,
) -> sts.Credentials:
    role = entitlement.role
    policy = session_policy_for(entitlement, policy)
    if role.method == WEB_IDENTITY and principal.web_identity is not None:
        return sts.assume_role_with_web_identity(
            role_arn=role.arn,
            username=principal.username,
            id_token=principal.web_identity(),  # refreshed if needed, or SignInAgain
            duration_seconds=duration_seconds,
            policy=policy,
        )
    if role.method == ASSUME_ROLE:
        return sts.assume_role(
            role_arn=role.arn,
            username=principal.username,
            duration_seconds=duration_seconds,
            policy=policy,
            tags=session_tags(role.session_tags, principal),
        )
    if role.method == SAML:
        return samlidp.obtain(role, principal, duration_seconds=duration_seconds, policy=policy)
    return sts.get_federation_token(
        username=principal.username, duration_seconds=duration_seconds, policy=policy
    )


# Every issuance writes one row: an INSERT written once, not built by Model.save each time.
_LEDGER = PreparedInsert(
    Issuance,
    [
        "username",
        "role",
        "role_alias",
        "method",
        "purpose",
        "access_key_id",
        "issued_at",
        "expires_at",
        "source_ip",
    ],
)


def _ledger(issued: Issued, *, principal: Principal, purpose: str, source_ip: str | None) -> None:
    role = issued.entitlement.role
    _LEDGER(
        transaction.get_connection(),
        {
            "username": principal.username,
            "role": role.pk,
            "role_alias": role.alias,
            "method": role.method,
            "purpose": purpose,
            "access_key_id": issued.credentials.access_key_id,
            "issued_at": timezone.now(),
            "expires_at": issued.credentials.expiration,
            "source_ip": source_ip,
        },
    )


def _refused(
    principal: Principal, alias: str, exc: Exception, *, source_ip: str | None, purpose: str
) -> None:
    audit.record(
        "access.refused",
        actor=principal.username,
        source_ip=source_ip,
        role_alias=alias[:64],
        outcome="denied",
        reason=type(exc).__name__,
        purpose=purpose,
    )


def _obtain_issued(
    *,
    principal: Principal,
    alias: str,
    duration_seconds: int | None,
    purpose: str,
    source_ip: str | None,
    cap: int | None,
    policy: dict[str, Any] | None,
    entitlement: Entitlement | None,
) -> Issued:
    """The access decision and the STS call, nothing recorded yet; refusals are audited."""
    try:
        entitlement = entitlement or access_role(principal, alias)
        if entitlement.session_policy:
            validate_policy(entitlement.session_policy)
        duration = entitlement.duration(duration_seconds, cap=session_cap(entitlement, cap))
        duration = entitlement.within_elevation(duration)  # never past an elevation's end
        credentials = _obtain(entitlement, principal=principal, duration_seconds=duration, policy=policy)
    except Exception as exc:
        metrics.ISSUANCES.labels("", purpose, "refused").inc()
        _refused(principal, alias, exc, source_ip=source_ip, purpose=purpose)
        raise
    return Issued(credentials=credentials, entitlement=entitlement, duration_seconds=duration)


def issue_credentials(
    *,
    principal: Principal,
    alias: str,
    duration_seconds: int | None = None,
    purpose: str = "cli",
    source_ip: str | None = None,
    cap: int | None = None,
    policy: dict[str, Any] | None = None,
    entitlement: Entitlement | None = None,
) -> Issued:
    """Obtain a session for ``alias`` on the principal's terms, ledgered and audited.

    Raises ``RoleNotAvailable``, ``DurationOutOfRange`` or an ``StsError``;
    refusals are audited too, so a probe for roles leaves a trace. A caller
    that has just taken the access decision for this request passes its
    ``entitlement`` rather than have it taken twice. The ledger row and the
    audit row are written in one transaction: both or neither.
    """
    issued = _obtain_issued(
        principal=principal,
        alias=alias,
        duration_seconds=duration_seconds,
        purpose=purpose,
        source_ip=source_ip,
        cap=cap,
        policy=policy,
        entitlement=entitlement,
    )
    credentials = issued.credentials
    with transaction.atomic():
        _ledger(issued, principal=principal, purpose=purpose, source_ip=source_ip)
        audit.record(
            "credentials.issued",
            actor=principal.username,
            source_ip=source_ip,
            role_alias=alias,
            method=credentials.method,
            access_key_id=credentials.access_key_id,
            purpose=purpose,
            expires_at=credentials.expiration.isoformat(),
            savepoint=False,  # both rows or neither: this transaction fails with the event
        )
    metrics.ISSUANCES.labels(credentials.method, purpose, "ok").inc()
    return issued


def _cap(entitlement: Entitlement) -> int | None:
    """AWS's chaining cap, decided without STS on the request's time (``federation.chaining``)."""
    return chaining.cap() if entitlement.role.method == ASSUME_ROLE else None


def session_cap(entitlement: Entitlement, limit: int | None = None) -> int | None:
    """The longest session allowed: AWS's chaining cap and a caller's own limit (an API client's)."""
    caps = [value for value in (_cap(entitlement), limit) if value]
    return min(caps) if caps else None


def console_link(
    *,
    principal: Principal,
    alias: str,
    duration_seconds: int | None = None,
    destination: str | None = None,
    source_ip: str | None = None,
    cap: int | None = None,
    saml_form: bool = False,
) -> signin.ConsoleLink | SamlConsoleForm:
    """A one-time console sign-in URL; the destination is checked before any STS call.

    With ``saml_form`` (the portal), a saml role gets instead the form the
    browser posts to AWS's SAML sign-in (``saml_console_form``). Without it
    (the API), a saml role's URL comes from AssumeRoleWithSAML credentials.
    """
    try:
        entitlement = access_role(principal, alias)
        page = signin.check_destination(destination, entitlement.role.partition)
    except Exception as exc:
        _refused(principal, alias, exc, source_ip=source_ip, purpose="console")
        raise
    if saml_form and entitlement.role.method == SAML:
        return saml_console_form(
            principal=principal,
            entitlement=entitlement,
            duration_seconds=duration_seconds,
            destination=page,
            source_ip=source_ip,
        )
    issued = _obtain_issued(
        principal=principal,
        alias=alias,
        duration_seconds=duration_seconds,
        purpose="console",
        source_ip=source_ip,
        cap=cap,
        policy=None,
        entitlement=entitlement,
    )
    chained = _cap(entitlement) is not None
    duration = (
        issued.duration_seconds
        if signin.session_duration_allowed(issued.credentials, chained=chained)
        else None
    )
    try:
        link = signin.login_url(
            issued.credentials,
            partition=entitlement.role.partition,
            destination=page,
            session_duration=duration,
        )
    except signin.SigninError as exc:
        _record_console(
            issued,
            principal=principal,
            source_ip=source_ip,
            destination=page,
            outcome="error",
            reason=str(exc),
        )
        raise
    _record_console(
        issued,
        principal=principal,
        source_ip=source_ip,
        destination=page,
        expires_at=link.session_expires_at.isoformat(),
    )
    return link


def _record_console(issued: Issued, *, principal: Principal, source_ip: str | None, **event: Any) -> None:
    """The console session's ledger row and its ``console.url`` event: one transaction, both or neither.

    Written after the sign-in endpoint answered (no transaction is held open
    across that HTTP call); a failed audit insert rolls the ledger row back,
    and ``AuditUnavailable`` withholds the URL.
    """
    credentials = issued.credentials
    with transaction.atomic():
        _ledger(issued, principal=principal, purpose="console", source_ip=source_ip)
        audit.record(
            "console.url",
            actor=principal.username,
            source_ip=source_ip,
            role_alias=issued.entitlement.role.alias,
            method=credentials.method,
            access_key_id=credentials.access_key_id,
            savepoint=False,  # both rows or neither
            **event,
        )
    metrics.ISSUANCES.labels(credentials.method, "console", "ok").inc()


@dataclass(frozen=True)
class SamlConsoleForm:
    """What the portal's console hop posts to AWS: ``saml_response`` is a bearer secret, never logged."""

    action: str
    saml_response: str = field(repr=False)
    relay_state: str


def saml_console_form(
    *,
    principal: Principal,
    entitlement: Entitlement,
    duration_seconds: int | None,
    destination: str,
    source_ip: str | None,
) -> SamlConsoleForm:
    """A signed Response for AWS's SAML sign-in page; AWS makes the session when the browser posts it.

    No STS call and no access key exist yet, so the ledger row is keyed by the
    assertion's ID: revocation and the kill switch still find the role from it.
    """
    role, alias = entitlement.role, entitlement.role.alias
    try:
        duration = entitlement.duration(duration_seconds)
        signed = samlidp.sign(role, principal, duration_seconds=duration)
    except Exception as exc:
        metrics.ISSUANCES.labels("", "console", "refused").inc()
        _refused(principal, alias, exc, source_ip=source_ip, purpose="console")
        raise
    expires_at = timezone.now() + timedelta(seconds=duration)
    with transaction.atomic():
        _LEDGER(
            transaction.get_connection(),
            {
                "username": principal.username,
                "role": role.pk,
                "role_alias": alias,
                "method": SAML,
                "purpose": "console",
                "access_key_id": signed.assertion_id,
                "issued_at": timezone.now(),
                "expires_at": expires_at,
                "source_ip": source_ip,
            },
        )
        audit.record(
            "console.saml",
            actor=principal.username,
            source_ip=source_ip,
            role_alias=alias,
            method=SAML,
            access_key_id=signed.assertion_id,
            destination=destination,
            expires_at=expires_at.isoformat(),
            savepoint=False,  # both rows or neither
        )
    metrics.ISSUANCES.labels(SAML, "console", "ok").inc()
    return SamlConsoleForm(action=signed.endpoint, saml_response=signed.encoded, relay_state=destination)
