"""The AWS side of an elevation ended early: deny the sessions already issued under it.

STS sessions cannot be cancelled, and those issued under an elevation live
until their own expiry (at most the elevation's original end, see
``access.Entitlement.within_elevation``). So an early end (revoke, or the
requester cancelling an active one) puts an inline policy on the role,
``BrokerElevationEnded-<session name>``: deny everything to sessions whose
``aws:SourceIdentity`` is that person's and whose ``aws:TokenIssueTime`` is
before the end. Sessions issued later (a new elevation, a standing grant)
are not touched. The IAM write goes through ``federation.iam`` in the role's
account (the account's admin role, as revocation does).

When parts fail: IAM refusing or unreachable leaves the request's denial
``failed`` (audited with the reason) and ``cleanup`` retries it every beat
tick until the elevation's original end, after which nothing is left to
deny. The broker itself stops serving at once either way: the request is no
longer active, and its cached sessions are purged here. Once the original
end has passed (plus a margin), ``cleanup`` removes the policy, unless a
later early end of the same person on the same role still needs it (the
policy is shared: its time is the latest end's, which covers the earlier).
GetFederationToken roles have no role to attach a deny to; their sessions
end at the elevation's end anyway.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from broker import audit
from federation import credcache, iam, sts
from federation.elevation.models import AccessRequest, RequestEvent

log = logging.getLogger(__name__)

POLICY_PREFIX = "BrokerElevationEnded-"
MARGIN = timedelta(seconds=60)  # clock skew between the broker and AWS
Denial = AccessRequest.Denial
OUTSTANDING = (Denial.PENDING, Denial.APPLIED, Denial.FAILED)


def policy_name(username: str) -> str:
    return f"{POLICY_PREFIX}{sts.session_name(username)}"


def schedule(request: AccessRequest, now: datetime) -> None:
    """Mark an early end for ``apply`` (called by ``states`` inside the transition)."""
    if request.role is None or not request.role.arn:
        return  # no IAM role to attach a deny to; sessions end at the elevation's end
    request.denial = Denial.PENDING
    request.denial_before = (now + timedelta(seconds=1)).replace(microsecond=0)  # this second's too
    request.denial_policy = policy_name(request.requester_name)


def _note(request: AccessRequest, action: str, comment: str, *, outcome: str = "ok") -> None:
    RequestEvent.objects.create(
        request=request,
        at=timezone.now(),
        actor="system",
        action=action,
        from_state=request.state,
        to_state=request.state,
        comment=comment,
    )
    audit.record(
        f"elevation.{action}",
        actor="system",
        role_alias=request.role_alias,
        method="assume_role",
        outcome=outcome,
        request=request.pk,
        requester=request.requester_name,
        policy=request.denial_policy,
        detail=comment[:500],
    )


def _siblings(request: AccessRequest) -> object:
    """Other outstanding denials of the same person on the same role (they share the policy)."""
    return AccessRequest.objects.filter(
        role=request.role, requester_name=request.requester_name, denial__in=OUTSTANDING
    ).exclude(pk=request.pk)


def _purge_cache(request: AccessRequest) -> None:
    if request.requester_id is None:
        return
    try:
        credcache.purge(alias=request.role_alias, subject=f"user:{request.requester_id}")
    except credcache.CacheUnavailable as exc:  # not served anyway: the access decision refuses first
        log.warning("elevation #%s: cached sessions not purged (%s)", request.pk, exc)


def apply(request_id: int) -> str:
    """Put (or put again) the deny for an early-ended elevation; returns the denial's state."""
    request = AccessRequest.objects.select_related("role__account").get(pk=request_id)
    _purge_cache(request)
    if request.denial not in (Denial.PENDING, Denial.FAILED) or request.role is None:
        return request.denial
    befores = [request.denial_before, *_siblings(request).values_list("denial_before", flat=True)]
    before = max(moment for moment in befores if moment is not None)
    document = iam.deny_source_identity_before_document(sts.session_name(request.requester_name), before)
    try:
        iam.put_role_policy(request.role, request.denial_policy, document)
    except iam.RevocationError as exc:
        request.denial = Denial.FAILED
        request.save(update_fields=["denial"])
        _note(request, "aws_deny", f"not denied in AWS yet (retried): {exc}", outcome="error")
        return request.denial
    request.denial = Denial.APPLIED
    request.save(update_fields=["denial"])
    _note(request, "aws_deny", f"{request.denial_policy} denies sessions issued before {iam.iso(before)}")
    return request.denial


def _expired(request: AccessRequest, now: datetime) -> bool:
    """Every session issued under the elevation has expired (none outlives its original end)."""
    return request.ends_at is None or request.ends_at + MARGIN <= now


def _remove(request: AccessRequest, now: datetime) -> None:
    still_needed = [other for other in _siblings(request) if not _expired(other, now)]
    if not still_needed and request.denial == Denial.APPLIED:
        try:
            iam.delete_role_policy(request.role, request.denial_policy)
        except iam.RevocationError as exc:
            _note(request, "aws_deny_removed", f"not removed yet (retried): {exc}", outcome="error")
            return
    request.denial = Denial.REMOVED
    request.save(update_fields=["denial"])
    _note(request, "aws_deny_removed", "the sessions it denied have all expired")


def cleanup(now: datetime | None = None) -> dict[str, int]:
    """Retry failed denials while they matter; remove denials whose sessions have all expired."""
    now = now or timezone.now()
    done = {"retried": 0, "removed": 0}
    outstanding = AccessRequest.objects.filter(denial__in=OUTSTANDING).select_related("role__account")
    for request in outstanding.order_by("ends_at", "pk"):
        if request.role is None:
            continue
        if _expired(request, now):
            _remove(request, now)
            done["removed"] += 1
        elif request.denial in (Denial.PENDING, Denial.FAILED):
            apply(request.pk)
            done["retried"] += 1
    return done
