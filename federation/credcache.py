"""The credential cache: sealed STS sessions in Redis, shared and kept fresh.

Redis keys under ``BROKER_CACHE_PREFIX`` (``<id>`` is a hash of the
session's context, so key names reveal nobody):

- ``v:<id>``: the sealed session (``federation.sealing``), expiring with it;
- ``m:<id>``: plain metadata for the refresher (subject, role, requested
  terms, last use); never a secret;
- ``due``: a sorted set of ids by the time they should be refreshed;
- ``lock:<id>`` / ``fail:<id>``: single-flight lock and a short-lived note
  of the last STS failure, so N concurrent misses make one STS call and
  share its outcome.

Every Redis failure becomes ``CacheUnavailable``: callers then go to STS
directly and nothing is served from anywhere else.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import redis
from django.conf import settings

from broker.redisconn import client
from federation import sealing, sts

SERVE_FRACTION = 0.5  # serve while at least this share of the requested life is left
MIN_USABLE_SECONDS = 60  # never hand out a session with less life than this
LOCK_SECONDS = 45  # longer than the STS client's worst case (timeouts x attempts)
FAILURE_SECONDS = 2
POLL_SECONDS = 0.025

_GET_AND_TOUCH = """
local value = redis.call('GET', KEYS[1])
if value and redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HSET', KEYS[2], 'last_used', ARGV[1]) end
return value
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class CacheUnavailable(Exception):
    """Redis could not be reached or the value could not be sealed; go to STS directly."""


@dataclass(frozen=True)
class SessionSpec:
    """Everything that makes two requests want the same session."""

    subject: str
    username: str
    alias: str
    role_arn: str
    policy: str  # canonical JSON of the policy sent to STS, "" for none
    requested_policy: str  # the caller's own policy, to ask again on refresh
    duration: int
    attributes: str

    @functools.cached_property
    def context(self) -> bytes:
        # Not dataclasses.asdict: it deep-copies, a noticeable cost on every API request.
        values = {name: getattr(self, name) for name in _SPEC_FIELDS}
        return json.dumps(values, sort_keys=True, separators=(",", ":")).encode()

    @functools.cached_property
    def key_id(self) -> str:
        return hashlib.sha256(self.context).hexdigest()[:40]


_SPEC_FIELDS = tuple(field.name for field in fields(SessionSpec))


@dataclass(frozen=True)
class Entry:
    credentials: sts.Credentials
    issued_at: float

    @property
    def expires_at(self) -> float:
        return self.credentials.expiration.timestamp()

    def remaining(self, now: float) -> float:
        return self.expires_at - now

    def serves(self, duration: int, now: float) -> bool:
        """Comfortably more life left than the caller needs."""
        return self.remaining(now) >= max(duration * SERVE_FRACTION, MIN_USABLE_SECONDS)

    def usable(self, now: float) -> bool:
        return self.remaining(now) >= MIN_USABLE_SECONDS

    def refresh_at(self, duration: int) -> float:
        lead = settings.BROKER_CACHE_REFRESH_LEAD
        return max(
            self.issued_at, self.expires_at - max(duration * SERVE_FRACTION, MIN_USABLE_SECONDS) - lead
        )


class SharedFailure(sts.StsUnavailable):
    """Another request's STS call for the same session just failed; same answer here."""


def _key(kind: str, key_id: str = "") -> str:
    return (
        f"{settings.BROKER_CACHE_PREFIX}{kind}:{key_id}"
        if key_id
        else f"{settings.BROKER_CACHE_PREFIX}{kind}"
    )


def _guard(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except redis.RedisError as exc:
        raise CacheUnavailable(f"Redis: {type(exc).__name__}") from None


def _encode(entry: Entry) -> bytes:
    c = entry.credentials
    return json.dumps(
        {
            "AccessKeyId": c.access_key_id,
            "SecretAccessKey": c.secret_access_key,
            "SessionToken": c.session_token,
            "Expiration": c.expiration.timestamp(),
            "Arn": c.arn,
            "Method": c.method,
            "IssuedAt": entry.issued_at,
        }
    ).encode()


def _decode(raw: bytes) -> Entry:
    body = json.loads(raw)
    credentials = sts.Credentials(
        access_key_id=body["AccessKeyId"],
        secret_access_key=body["SecretAccessKey"],
        session_token=body["SessionToken"],
        expiration=datetime.fromtimestamp(body["Expiration"], tz=UTC),
        arn=body["Arn"],
        method=body["Method"],
    )
    return Entry(credentials=credentials, issued_at=body["IssuedAt"])


def open_value(spec: SessionSpec, blob: bytes | None) -> Entry | None:
    """Decrypt a stored value for ``spec``; a value that fails authentication is no value."""
    if blob is None:
        return None
    try:
        return _decode(sealing.unseal(blob, aad=spec.context))
    except sealing.SealError:
        return None


def lookup(spec: SessionSpec) -> Entry | None:
    """The cached session, marking it as in use (one round trip)."""
    keys = [_key("v", spec.key_id), _key("m", spec.key_id)]
    blob = _guard(lambda: client().eval(_GET_AND_TOUCH, 2, *keys, f"{time.time():.0f}"))
    return open_value(spec, blob)


def peek(spec: SessionSpec) -> Entry | None:
    return open_value(spec, _guard(lambda: client().get(_key("v", spec.key_id))))


def store(spec: SessionSpec, entry: Entry, *, used: bool = True, release: str | None = None) -> None:
    """Keep a session; ``used=False`` (a refresh) leaves the last-use time alone.

    ``release`` is the token of this key's lock (``claim``), freed in the same
    round trip once the new value is in place.
    """
    try:
        blob = sealing.seal(_encode(entry), aad=spec.context)
    except sealing.SealError as exc:
        raise CacheUnavailable(str(exc)) from None
    expires_ms = int(entry.expires_at * 1000)
    meta = {
        "subject": spec.subject,
        "alias": spec.alias,
        "duration": spec.duration,
        "requested_policy": spec.requested_policy,
        "lifetime": int(entry.expires_at - entry.issued_at),
    }
    if used:
        meta["last_used"] = f"{time.time():.0f}"

    def write() -> None:
        pipe = client().pipeline(transaction=True)
        pipe.set(_key("v", spec.key_id), blob, pxat=expires_ms)
        pipe.hset(_key("m", spec.key_id), mapping=meta)
        pipe.pexpireat(_key("m", spec.key_id), expires_ms)
        pipe.zadd(_key("due"), {spec.key_id: entry.refresh_at(spec.duration)})
        if release is not None:
            pipe.eval(_RELEASE, 1, _key("lock", spec.key_id), release)
        pipe.execute()

    _guard(write)


def _text(raw: dict[bytes, bytes]) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in raw.items()}


def metadata(key_id: str) -> dict[str, str]:
    return _text(_guard(lambda: client().hgetall(_key("m", key_id))))


def due(now: float, *, limit: int) -> list[str]:
    ids = _guard(lambda: client().zrangebyscore(_key("due"), "-inf", now, start=0, num=limit))
    return [i.decode() for i in ids]


def postpone(key_ids: list[str], until: float) -> None:
    """Claim ids for a refresh already queued, so the next beat tick skips them."""
    if key_ids:
        _guard(lambda: client().zadd(_key("due"), dict.fromkeys(key_ids, until), xx=True))


def let_go(key_id: str) -> None:
    """Stop refreshing; the value still expires with its session."""
    _guard(lambda: client().zrem(_key("due"), key_id))


def drop(key_id: str) -> None:
    _guard(lambda: client().delete(_key("v", key_id), _key("m", key_id)))
    let_go(key_id)


def claim(key_id: str) -> tuple[dict[str, str], str | None, bytes | None]:
    """For a refresh, in one round trip: the metadata, this key's lock (its token,
    ``None`` when someone holds it) and the sealed value (``open_value`` reads it)."""
    token = secrets.token_hex(8)
    pipe = client().pipeline(transaction=False)
    pipe.hgetall(_key("m", key_id))
    _take_lock(pipe, key_id, token)
    pipe.get(_key("v", key_id))
    meta, won, blob = _guard(pipe.execute)
    return _text(meta), token if won else None, blob


def _take_lock(target: Any, key_id: str, token: str) -> Any:
    """The one way the per-key lock is taken, on a client or within a pipeline."""
    return target.set(_key("lock", key_id), token, nx=True, ex=LOCK_SECONDS)


def acquire(key_id: str) -> str | None:
    token = secrets.token_hex(8)
    won = _guard(lambda: _take_lock(client(), key_id, token))
    return token if won else None


def release(key_id: str, token: str) -> None:
    _guard(lambda: client().eval(_RELEASE, 1, _key("lock", key_id), token))


def _note_failure(key_id: str, exc: sts.StsError) -> None:
    note = json.dumps({"status": exc.status, "detail": str(exc)})
    _guard(lambda: client().set(_key("fail", key_id), note, px=FAILURE_SECONDS * 1000))


def _shared_outcome(spec: SessionSpec, accept: Callable[[Entry], bool]) -> Entry | None:
    """What the lock holder produced, or ``None`` while it is still at work."""
    pipe = client().pipeline(transaction=False)
    pipe.get(_key("v", spec.key_id))
    pipe.get(_key("fail", spec.key_id))
    pipe.exists(_key("lock", spec.key_id))
    blob, failure, locked = _guard(pipe.execute)
    entry = open_value(spec, blob)
    if entry is not None and accept(entry):
        return entry
    if failure is not None:
        note = json.loads(failure)
        raise SharedFailure(note["detail"]) if note["status"] == 503 else sts.StsError(note["detail"])
    if not locked:
        raise _LockFreed
    return None


class _LockFreed(Exception):
    pass


def single_flight(
    spec: SessionSpec, produce: Callable[[], Entry], accept: Callable[[Entry], bool], *, wait: float
) -> tuple[Entry, bool]:
    """One caller per key produces (and stores) a session; the others wait for it.

    Returns the entry and whether this caller produced it. After ``wait``
    seconds a waiter stops waiting and produces its own.
    """
    deadline = time.monotonic() + wait
    while True:
        token = acquire(spec.key_id)
        if token is not None:
            try:
                done = peek(spec)  # a holder that released just now may have left it
                if done is not None and accept(done):
                    return done, False
                entry = produce()
            except sts.StsError as exc:
                _note_failure(spec.key_id, exc)
                raise
            finally:
                release(spec.key_id, token)
            return entry, True
        try:
            while time.monotonic() < deadline:
                found = _shared_outcome(spec, accept)
                if found is not None:
                    return found, False
                time.sleep(POLL_SECONDS)
        except _LockFreed:
            continue
        return produce(), True


def purge(*, alias: str | None = None, subject: str | None = None) -> int:
    """Forget every cached session of a role alias and/or a subject, and stop refreshing them.

    For revocation: a purged session is never served again, and a refresh
    already queued for it finds nothing and lets it go. Returns how many.
    """
    if alias is None and subject is None:
        raise ValueError("purge needs an alias or a subject")

    def matches(meta: dict[str, str]) -> bool:
        return (alias is None or meta.get("alias") == alias) and (
            subject is None or meta.get("subject") == subject
        )

    pattern = _key("m", "*")
    purged = 0
    for raw in _guard(lambda: list(client().scan_iter(match=pattern, count=1000))):
        key_id = raw.decode().rsplit(":", 1)[-1]
        if matches(metadata(key_id)):
            drop(key_id)
            purged += 1
    return purged
