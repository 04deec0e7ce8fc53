"""The states of an access request and the only functions that move it between them.

::

    pending --approve (quorum reached)--> active --expire (ends_at)------> expired
       |  \\--approve (short of quorum)--> pending    \\--revoke (approver, admin)--> revoked  *
       |--deny------------> denied                    \\--cancel (requester)-------> cancelled *
       |--cancel----------> cancelled
       \\--expire (pending_until) --> expired

    * an early end also denies in AWS the sessions already issued (``denial``).

Each transition checks, writes and audits in one transaction, holding the
request's row (``select_for_update``): two approvals at once, or an approval
racing a cancel, are serialised and the second one sees the first's result,
so a request always ends in one consistent state. A refusal is audited too
(``elevation.refused``), so probing leaves a trace. Side effects outside the
database (notifications, the AWS deny) run once the transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from broker import audit
from broker.principal import Principal
from federation import access
from federation.access import DurationOutOfRange
from federation.elevation.models import REQUIRED, AccessRequest, Approval, RequestEvent
from federation.models import MIN_SESSION_SECONDS

State = AccessRequest.State
PENDING, ACTIVE, DENIED, EXPIRED, REVOKED, CANCELLED = (
    State.PENDING,
    State.ACTIVE,
    State.DENIED,
    State.EXPIRED,
    State.REVOKED,
    State.CANCELLED,
)
FINAL = frozenset({DENIED, EXPIRED, REVOKED, CANCELLED})

# action -> {from state: to state}. ``approve`` reaches ``active`` only with its quorum.
TRANSITIONS: dict[str, dict[str, str]] = {
    "approve": {PENDING: ACTIVE},
    "deny": {PENDING: DENIED},
    "cancel": {PENDING: CANCELLED, ACTIVE: CANCELLED},
    "revoke": {ACTIVE: REVOKED},
    "expire": {PENDING: EXPIRED, ACTIVE: EXPIRED},
}
EARLY_ENDS = frozenset({("cancel", ACTIVE), ("revoke", ACTIVE)})


class RequestRefused(Exception):
    """A transition that may not happen; ``status`` and ``code`` are the HTTP answer."""

    status = 403
    code = "not_allowed"
    title = "Not allowed"


class RequestInvalid(RequestRefused):
    status = 400
    code = "invalid_request"
    title = "Request refused"


class RequestConflict(RequestRefused):
    status = 409
    code = "invalid_state"
    title = "Not possible in this state"


class RequestNotFound(RequestRefused):
    status = 404
    code = "not_found"
    title = "No such request"


class StepUpRequired(RequestRefused):
    status = 403
    code = "mfa_required"
    title = "Second factor needed"


@dataclass(frozen=True)
class Actor:
    """Who moves a request: the person (as the access decision sees them) and what they have shown."""

    principal: Principal
    user_id: int | None = None
    is_admin: bool = False
    stepped_up: bool = False  # a fresh second factor, or none needed (``stepup``)
    source_ip: str | None = None

    @property
    def name(self) -> str:
        return self.principal.username


SYSTEM = Actor(principal=Principal(username="system", kind="system"), stepped_up=True)


def target(action: str, state: str) -> str:
    """The state ``action`` leads to from ``state``, or ``RequestConflict`` saying why not."""
    to = TRANSITIONS[action].get(state)
    if to is None:
        raise RequestConflict(f"a request that is {state} cannot be {_past(action)}")
    return to


def _past(action: str) -> str:
    return {"approve": "approved", "deny": "denied", "cancel": "cancelled", "revoke": "revoked"}.get(
        action, "expired"
    )


def is_approver(request: AccessRequest, principal: Principal) -> bool:
    return principal.kind == "user" and bool(principal.groups & set(request.approver_groups))


def is_requester(request: AccessRequest, actor: Actor) -> bool:
    """People only: an API client's principal name never stands for a person."""
    return actor.principal.kind == "user" and request.requester_name == actor.name


def may_see(request: AccessRequest, actor: Actor) -> bool:
    return is_requester(request, actor) or is_approver(request, actor.principal) or actor.is_admin


def history(request: AccessRequest, actor: Actor, action: str, before: str, comment: str = "") -> None:
    """One line of the request's history and its audit event (``elevation.<action>``)."""
    now = timezone.now()
    RequestEvent.objects.create(
        request=request,
        at=now,
        actor=actor.name,
        action=action,
        from_state=before,
        to_state=request.state,
        comment=comment[:2000],
    )
    audit.record(
        f"elevation.{action}",
        actor=actor.name,
        source_ip=actor.source_ip,
        role_alias=request.role_alias,
        request=request.pk,
        requester=request.requester_name,
        state=request.state,
        **({"comment": comment[:500]} if comment else {}),
    )


def _audited(action: str, actor: Actor, request_id: int | None, alias: str, run: Callable[[], Any]) -> Any:
    try:
        return run()
    except (RequestRefused, access.RoleNotAvailable, DurationOutOfRange) as exc:
        audit.record(
            "elevation.refused",
            actor=actor.name,
            source_ip=actor.source_ip,
            role_alias=alias[:64],
            outcome="denied",
            attempted=action,
            request=request_id,
            reason=getattr(exc, "code", type(exc).__name__),
        )
        raise


def _locked(request_id: int, actor: Actor) -> AccessRequest:
    """The request's row, held until the transaction ends; one the actor may not see is not found."""
    request = AccessRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None or not may_see(request, actor):
        raise RequestNotFound(f"no access request #{request_id} that you can see")
    return request


def _after_commit(request: AccessRequest, what: str) -> None:
    from federation.elevation import notify

    request_id = request.pk
    # robust: a failure here is logged, never turned into an error for a decision already committed.
    transaction.on_commit(lambda: notify.queue(request_id, what), robust=True)


# --- request -------------------------------------------------------------------------------------


def _check_terms(rule: Any, alias: str, duration: int, justification: str) -> None:
    if not MIN_SESSION_SECONDS <= duration <= rule.max_seconds:
        raise DurationOutOfRange(
            f"an elevation of {alias} lasts between {MIN_SESSION_SECONDS} and {rule.max_seconds} seconds"
        )
    if rule.justification == REQUIRED and not justification.strip():
        raise RequestInvalid(f"a justification is required to request {alias}")


def _hold_requester(actor: Actor) -> None:
    """Serialise one person's requests (their user row), so two at once cannot both be opened."""
    from django.contrib.auth import get_user_model

    if actor.user_id is not None:
        list(get_user_model().objects.select_for_update().filter(pk=actor.user_id).values_list("pk"))


def request_elevation(
    *, actor: Actor, alias: str, duration_seconds: int, justification: str = "", ticket: str = ""
) -> AccessRequest:
    """Ask for an eligible role; approvers are notified once the request is stored."""

    def run() -> AccessRequest:
        if actor.principal.kind != "user":
            raise RequestRefused("access requests are made by people, not API clients")
        rule = access.eligible_rule(actor.principal, alias)
        _check_terms(rule, alias, duration_seconds, justification)
        with transaction.atomic():
            _hold_requester(actor)
            open_one = AccessRequest.objects.filter(
                requester_name=actor.name, role=rule.grant.role, state__in=[PENDING, ACTIVE]
            ).first()
            if open_one is not None:
                raise RequestConflict(
                    f"you already have request #{open_one.pk} for {alias} ({open_one.state})"
                )
            now = timezone.now()
            request = AccessRequest.objects.create(
                role=rule.grant.role,
                role_alias=alias,
                requester_id=actor.user_id,
                requester_name=actor.name,
                duration_seconds=duration_seconds,
                justification=justification.strip()[:4000],
                ticket=ticket.strip()[:64],
                approvals_required=rule.approvals,
                approver_groups=rule.approver_names(),
                created_at=now,
                pending_until=now + timedelta(seconds=settings.BROKER_ELEVATION_PENDING_SECONDS),
            )
            history(request, actor, "requested", "", justification.strip())
            _after_commit(request, "requested")
        return request

    return _audited("request", actor, None, alias, run)


# --- approve / deny ------------------------------------------------------------------------------


def _check_approver(request: AccessRequest, actor: Actor, action: str) -> None:
    if request.requester_name == actor.name:
        raise RequestRefused("no one approves or denies their own request")
    if not is_approver(request, actor.principal):
        groups = ", ".join(request.approver_groups)
        raise RequestRefused(f"only members of {groups} may {action} this request")
    if not actor.stepped_up:
        raise StepUpRequired("show a fresh second factor (verify your MFA code) first")


def _still_pending(request: AccessRequest, action: str, now: datetime) -> None:
    target(action, request.state)
    if request.pending_until <= now:
        raise RequestConflict(f"the request expired unanswered at {request.pending_until:%Y-%m-%d %H:%M} UTC")


def approve(*, actor: Actor, request_id: int, comment: str = "") -> AccessRequest:
    """One approver's yes; the quorum of distinct approvers makes the elevation active from now."""

    def run() -> AccessRequest:
        with transaction.atomic():
            request = _locked(request_id, actor)
            now = timezone.now()
            _still_pending(request, "approve", now)
            _check_approver(request, actor, "approve")
            if request.approvals.filter(approver_name=actor.name).exists():
                raise RequestConflict("you have already approved this request")
            Approval.objects.create(
                request=request, approver_id=actor.user_id, approver_name=actor.name, comment=comment, at=now
            )
            before = request.state
            if request.approvals.count() >= request.approvals_required:
                request.state = ACTIVE
                request.starts_at = now
                request.ends_at = now + timedelta(seconds=request.duration_seconds)
                request.save(update_fields=["state", "starts_at", "ends_at"])
                _after_commit(request, "active")
            history(request, actor, "approved", before, comment)
        return request

    return _audited("approve", actor, request_id, "", run)


def deny(*, actor: Actor, request_id: int, comment: str = "") -> AccessRequest:
    def run() -> AccessRequest:
        with transaction.atomic():
            request = _locked(request_id, actor)
            _still_pending(request, "deny", timezone.now())
            _check_approver(request, actor, "deny")
            return _close(request, actor, "deny", "denied", comment)

    return _audited("deny", actor, request_id, "", run)


# --- early ends and expiry -----------------------------------------------------------------------


def _close(request: AccessRequest, actor: Actor, action: str, verb: str, comment: str) -> AccessRequest:
    """Move to the action's final state; an early end of an active elevation schedules the AWS deny."""
    before = request.state
    now = timezone.now()
    request.state = target(action, before)
    request.closed_at = now
    request.closed_by = actor.name
    fields = ["state", "closed_at", "closed_by"]
    if (action, before) in EARLY_ENDS:
        from federation.elevation import denial

        denial.schedule(request, now)
        fields += ["denial", "denial_before", "denial_policy"]
        request_id = request.pk
        transaction.on_commit(lambda: denial.apply(request_id), robust=True)  # else retried by cleanup
    request.save(update_fields=fields)
    history(request, actor, verb, before, comment)
    _after_commit(request, verb)
    return request


def cancel(*, actor: Actor, request_id: int, comment: str = "") -> AccessRequest:
    """The requester withdraws a pending request or ends an active elevation early."""

    def run() -> AccessRequest:
        with transaction.atomic():
            request = _locked(request_id, actor)
            if not is_requester(request, actor):
                raise RequestRefused("only the requester may cancel a request")
            return _close(request, actor, "cancel", "cancelled", comment)

    return _audited("cancel", actor, request_id, "", run)


def revoke(*, actor: Actor, request_id: int, comment: str = "") -> AccessRequest:
    """An approver or an admin ends an active elevation early (sessions denied in AWS too)."""

    def run() -> AccessRequest:
        with transaction.atomic():
            request = _locked(request_id, actor)
            if not (actor.is_admin or is_approver(request, actor.principal)):
                raise RequestRefused("only an approver of this request or an admin may revoke it")
            return _close(request, actor, "revoke", "revoked", comment)

    return _audited("revoke", actor, request_id, "", run)


def expire(*, request_id: int) -> AccessRequest | None:
    """End a request whose time is up (idempotent: one that is not due is left alone)."""
    with transaction.atomic():
        request = AccessRequest.objects.select_for_update().filter(pk=request_id).first()
        now = timezone.now()
        if request is None or not _due(request, now):
            return None
        before = request.state
        request.state = EXPIRED
        request.closed_at = now
        request.closed_by = SYSTEM.name
        request.save(update_fields=["state", "closed_at", "closed_by"])
        history(request, SYSTEM, "expired", before)
        _after_commit(request, "expired")
        return request


def _due(request: AccessRequest, now: datetime) -> bool:
    if request.state == PENDING:
        return request.pending_until <= now
    return request.state == ACTIVE and request.ends_at is not None and request.ends_at <= now


def due_ids(now: datetime) -> list[int]:
    pending = AccessRequest.objects.filter(state=PENDING, pending_until__lte=now)
    active = AccessRequest.objects.filter(state=ACTIVE, ends_at__lte=now)
    return sorted({*pending.values_list("pk", flat=True), *active.values_list("pk", flat=True)})
