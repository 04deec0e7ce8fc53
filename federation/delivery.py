"""Deliver sessions to API callers through the credential cache, and refresh them.

The actions behind the REST API and the refresh worker. Each delivery
re-runs the access decision (so a revoked grant stops a cached session at
once), then serves from the cache while the session has comfortably more
life than the caller needs, else makes one STS call per key for everyone
waiting (``credcache.single_flight``) through ``actions.issue_credentials``,
which writes the ledger row. Every delivery, hit or miss, writes one audit
event naming the caller, the role and the AccessKeyId.

When parts fail: Redis down means STS directly (logged), never a stale copy;
STS down means a cached session that is still usable is served until it
expires, then ``StsUnavailable`` (503 + Retry-After).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from broker import audit, metrics
from broker.apitokens.tokens import PREFIX, Caller, subject_caller
from federation import actions, credcache, sts
from federation.access import Entitlement, RoleNotAvailable, access_role
from federation.credcache import CacheUnavailable, Entry, SessionSpec

log = logging.getLogger(__name__)

WAIT_FOR_SHARED_SECONDS = 30


@dataclass(frozen=True)
class Delivery:
    credentials: sts.Credentials
    role_arn: str
    source: str  # cache | sts | cache-stale | sts-direct


def _canonical(policy: dict[str, Any] | None) -> str:
    return json.dumps(policy, sort_keys=True, separators=(",", ":")) if policy else ""


def plan(
    caller: Caller, *, alias: str, duration_seconds: int | None, policy: dict[str, Any] | None
) -> SessionSpec:
    """The session the caller is entitled to, as a cache key; raises the access errors."""
    return _decide(caller, alias=alias, duration_seconds=duration_seconds, policy=policy)[0]


def _decide(
    caller: Caller, *, alias: str, duration_seconds: int | None, policy: dict[str, Any] | None
) -> tuple[SessionSpec, Entitlement]:
    """The access decision for this request, and the session it entitles the caller to."""
    entitlement = access_role(caller.principal, alias)
    sent = actions.session_policy_for(entitlement, policy)
    duration = entitlement.duration(
        duration_seconds, cap=actions.session_cap(entitlement, caller.max_session_seconds)
    )
    attributes = hashlib.sha256(_canonical(caller.principal.attributes).encode()).hexdigest()[:16]
    spec = SessionSpec(
        subject=caller.subject,
        username=caller.principal.username,
        alias=alias,
        role_arn=entitlement.role.arn or entitlement.role.account.account_id,
        policy=_canonical(sent),
        requested_policy=_canonical(policy),
        duration=duration,
        attributes=attributes,
    )
    return spec, entitlement


def _issue(
    caller: Caller, spec: SessionSpec, entitlement: Entitlement, *, source_ip: str | None, purpose: str
) -> Entry:
    issued = actions.issue_credentials(
        principal=caller.principal,
        alias=spec.alias,
        duration_seconds=spec.duration,
        purpose=purpose,
        source_ip=source_ip,
        cap=caller.max_session_seconds,
        policy=json.loads(spec.requested_policy) if spec.requested_policy else None,
        entitlement=entitlement,
    )
    return Entry(credentials=issued.credentials, issued_at=time.time())


def _issue_and_store(
    caller: Caller, spec: SessionSpec, entitlement: Entitlement, *, source_ip: str | None, purpose: str
) -> Entry:
    entry = _issue(caller, spec, entitlement, source_ip=source_ip, purpose=purpose)
    try:
        credcache.store(spec, entry)
    except CacheUnavailable as exc:
        log.warning("credential cache: could not store a session (%s)", exc)
    return entry


def _from_cache(
    caller: Caller, spec: SessionSpec, entitlement: Entitlement, source_ip: str | None
) -> tuple[sts.Credentials, str]:
    now = time.time()
    cached = credcache.lookup(spec)
    if cached is not None and cached.serves(spec.duration, now):
        return cached.credentials, "cache"
    try:
        entry, produced = credcache.single_flight(
            spec,
            lambda: _issue_and_store(caller, spec, entitlement, source_ip=source_ip, purpose="api"),
            lambda found: found.serves(spec.duration, time.time()),
            wait=WAIT_FOR_SHARED_SECONDS,
        )
    except sts.StsUnavailable:
        if cached is not None and cached.usable(time.time()):
            log.warning("STS unavailable; serving a cached session for %s until it expires", spec.alias)
            return cached.credentials, "cache-stale"
        raise
    return entry.credentials, "sts" if produced else "cache"


def _record(
    caller: Caller, spec: SessionSpec, delivery: Delivery, *, source_ip: str | None, fmt: str
) -> None:
    """One audit row per delivery, hit or miss; ``AuditUnavailable`` withholds the session."""
    metrics.CACHE.labels(delivery.source).inc()
    audit.record(
        "credentials.delivered",
        actor=caller.principal.username,
        source_ip=source_ip,
        role_alias=spec.alias,
        method=delivery.credentials.method,
        access_key_id=delivery.credentials.access_key_id,
        client=caller.client_name,
        token=f"{PREFIX}{caller.token_lookup}",
        source=delivery.source,
        format=fmt,
        expires_at=delivery.credentials.expiration.isoformat(),
    )


def _refused(caller: Caller, alias: str, exc: Exception, source_ip: str | None) -> None:
    audit.record(
        "access.refused",
        actor=caller.principal.username,
        source_ip=source_ip,
        role_alias=alias[:64],
        outcome="denied",
        reason=type(exc).__name__,
        purpose="api",
        client=caller.client_name,
    )


def deliver(
    *,
    caller: Caller,
    alias: str,
    duration_seconds: int | None = None,
    policy: dict[str, Any] | None = None,
    source_ip: str | None = None,
    fmt: str = "session",
) -> Delivery:
    """A session for ``alias``: from the cache when it serves, else from STS once per key."""
    try:
        spec, entitlement = _decide(caller, alias=alias, duration_seconds=duration_seconds, policy=policy)
    except Exception as exc:
        _refused(caller, alias, exc, source_ip)
        raise
    try:
        credentials, source = _from_cache(caller, spec, entitlement, source_ip)
    except credcache.SharedFailure as exc:  # another request's STS call failed; audit this one too
        _refused(caller, alias, exc, source_ip)
        raise
    except CacheUnavailable as exc:
        log.warning("credential cache unavailable (%s); calling STS directly for %s", exc, alias)
        credentials, source = (
            _issue(caller, spec, entitlement, source_ip=source_ip, purpose="api").credentials,
            "sts-direct",
        )
    role_arn = spec.role_arn if spec.role_arn.startswith("arn:") else credentials.arn
    delivery = Delivery(credentials=credentials, role_arn=role_arn, source=source)
    _record(caller, spec, delivery, source_ip=source_ip, fmt=fmt)
    return delivery


def _refreshable(
    key_id: str, meta: dict[str, str], now: float
) -> tuple[Caller, SessionSpec, Entitlement] | str:
    """The caller and spec to refresh, or the reason to let the session go."""
    lifetime = int(meta.get("lifetime", "0"))
    if float(meta.get("last_used", "0")) < now - max(lifetime, 900):
        return "idle"
    caller = subject_caller(meta["subject"])
    if caller is None:
        return "revoked"
    policy = json.loads(meta["requested_policy"]) if meta.get("requested_policy") else None
    try:
        spec, entitlement = _decide(
            caller, alias=meta["alias"], duration_seconds=int(meta["duration"]), policy=policy
        )
    except (RoleNotAvailable, ValueError):
        return "revoked"
    return (caller, spec, entitlement) if spec.key_id == key_id else "changed"


def refresh(*, key_id: str) -> str:
    """Replace a cached session before it stops being served; idempotent, one at a time per key.

    Returns what happened (``refreshed``, ``fresh``, ``busy``, ``idle``,
    ``revoked``, ``changed``, ``gone``). ``StsUnavailable`` and
    ``CacheUnavailable`` propagate so the task retries. Redis is asked twice
    on the way that refreshes: to claim the key, then to store and release it.
    """
    meta, token, blob = credcache.claim(key_id)
    if token is None:
        return "busy"
    try:
        if not meta:
            credcache.let_go(key_id)
            return "gone"
        found = _refreshable(key_id, meta, time.time())
        if isinstance(found, str):
            credcache.let_go(key_id) if found == "idle" else credcache.drop(key_id)
            return found
        caller, spec, entitlement = found
        current = credcache.open_value(spec, blob)
        if current is not None and current.refresh_at(spec.duration) > time.time():
            return "fresh"
        fresh = _issue(caller, spec, entitlement, source_ip=None, purpose="api-refresh")
        credcache.store(spec, fresh, used=False, release=token)
        token = None
        if current is not None:  # seconds of life the old session still had: the refresh's lead
            metrics.REFRESH_LAG.observe(current.credentials.expiration.timestamp() - time.time())
        return "refreshed"
    finally:
        if token is not None:
            credcache.release(key_id, token)
