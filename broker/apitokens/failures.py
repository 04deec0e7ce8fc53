"""Failed API authentication: limited per source address, audited once per address and window.

Every refused token used to write its own ``api.refused`` audit row, so
anyone could write rows as fast as they could send requests: a free write
channel into the evidence, burying real events and filling the disk. Now,
per source address (``broker.netaddr.client_ip``: ``X-Forwarded-For`` only
with ``BROKER_TRUST_PROXY``) and fixed window of ``BROKER_API_AUTH_FAILURES``
(``N/period``, default ``20/minute``):

- ``limited`` runs before the token is looked up: an address that has
  failed N times in this window gets 429 + Retry-After until the window
  ends, whatever it sends, with no database read or write (one Redis call).
- ``refused`` counts a refused attempt (a bad, expired or revoked token, a
  client used from a disallowed address, no token at all) in Redis only.
- ``flush`` (the beat task ``flush_auth_failures``, every 30 s) writes ONE
  ``api.refused`` event per address and closed window: how many attempts
  were refused (``count``: ``failed`` checked and refused, ``limited``
  answered 429), the first and last time, the reasons, and the public token
  prefixes seen (``brk_<lookup>``, never a whole token; only tokens that
  were looked up, so at most N).

Redis keys under ``BROKER_CACHE_PREFIX``: ``authfail:<address>:<window>``
(a hash of counts and times), the same with ``:tokens`` (a set of
prefixes), and ``authfail:closing`` (``<address>|<window>|<period>`` by the window's
end, so the flush finds closed windows without scanning). They live a day,
so a stopped beat loses nothing it catches up on within that day.

When Redis is down the limit is not enforced (logged, like the per-client
rate) and each refusal is audited on its own, as before: kept, not
aggregated, while Redis is away.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from django.conf import settings

from broker import audit
from broker.env import parse_rate
from broker.redisconn import client

log = logging.getLogger(__name__)

KEEP_SECONDS = 24 * 3600
FLUSH_BATCH = 500
_NO_ADDRESS = "unknown"
NO_TOKEN = "not_authenticated"  # noqa: S105 - a reason code, not a secret: the reason for a request that sent no token at all

# Over the limit? Then count this attempt as limited, in the same round trip.
_LIMITED = """
local failed = tonumber(redis.call('HGET', KEYS[1], 'failed') or '0')
if failed < tonumber(ARGV[1]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'limited', 1)
redis.call('HSETNX', KEYS[1], 'first', ARGV[2])
redis.call('HSET', KEYS[1], 'last', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[3])
return 1
"""


@dataclass(frozen=True)
class _Window:
    address: str
    number: int
    period: int

    @classmethod
    def now(cls, address: str | None, now: float) -> _Window:
        _, period = _rate()
        return cls(address or _NO_ADDRESS, int(now // period), period)

    @property
    def key(self) -> str:
        return f"{settings.BROKER_CACHE_PREFIX}authfail:{self.address}:{self.number}"

    @property
    def member(self) -> str:
        return f"{self.address}|{self.number}|{self.period}"

    @property
    def ends(self) -> float:
        return (self.number + 1) * self.period


def _rate() -> tuple[int, int]:
    return parse_rate(settings.BROKER_API_AUTH_FAILURES, name="BROKER_API_AUTH_FAILURES")


def _closing() -> str:
    return f"{settings.BROKER_CACHE_PREFIX}authfail:closing"


def limited(address: str | None, *, now: float | None = None) -> int | None:
    """Seconds to wait when ``address`` is over its limit (the attempt is counted), else ``None``."""
    now = time.time() if now is None else now
    window = _Window.now(address, now)
    limit, _ = _rate()
    try:
        over = client().register_script(_LIMITED)(
            keys=[window.key, _closing()], args=[limit, now, window.member, window.ends, KEEP_SECONDS]
        )
    except redis.RedisError as exc:
        log.warning("failed-authentication limit not enforced: Redis %s", type(exc).__name__)
        return None
    return max(1, math.ceil(window.ends - now)) if over else None


def refused(address: str | None, *, token: str, reason: str, now: float | None = None) -> None:
    """Count one refused attempt; ``token`` is its public prefix (``brk_<lookup>``) or ``""``."""
    now = time.time() if now is None else now
    window = _Window.now(address, now)
    try:
        pipe = client().pipeline(transaction=False)
        pipe.hincrby(window.key, "failed", 1)
        pipe.hincrby(window.key, f"reason:{reason}", 1)
        pipe.hsetnx(window.key, "first", now)
        pipe.hset(window.key, "last", now)
        pipe.expire(window.key, KEEP_SECONDS)
        if token:
            pipe.sadd(f"{window.key}:tokens", token)
            pipe.expire(f"{window.key}:tokens", KEEP_SECONDS)
        pipe.zadd(_closing(), {window.member: window.ends}, nx=True)
        pipe.execute()
    except redis.RedisError as exc:
        if reason == NO_TOKEN:
            return  # nothing was presented, nothing to keep: never a row per token-less request
        log.warning("Redis %s: auditing a refused API token on its own", type(exc).__name__)
        audit.record(
            "api.refused",
            source_ip=address,
            outcome="denied",
            count=1,
            reasons={reason: 1},
            tokens=[token] if token else [],
        )


def _at(stamp: bytes | None) -> str | None:
    return datetime.fromtimestamp(float(stamp), UTC).isoformat() if stamp else None


def _event(window: _Window, counts: dict[bytes, bytes], prefixes: set[bytes]) -> dict[str, Any]:
    failed = int(counts.get(b"failed", 0))
    limited_count = int(counts.get(b"limited", 0))
    reasons = {
        name.decode().removeprefix("reason:"): int(value)
        for name, value in counts.items()
        if name.startswith(b"reason:")
    }
    return {
        "count": failed + limited_count,
        "failed": failed,
        "limited": limited_count,
        "first": _at(counts.get(b"first")),
        "last": _at(counts.get(b"last")),
        "window_seconds": window.period,
        "reasons": reasons,
        "tokens": sorted(prefix.decode() for prefix in prefixes),
    }


def _flush_one(connection: redis.Redis, member: str) -> bool:
    """Write one closed window's event; ``False`` if another flusher took it first."""
    if not connection.zrem(_closing(), member):
        return False
    address, number, period = member.rsplit("|", 2)
    window = _Window(address, int(number), int(period))
    counts, prefixes = connection.hgetall(window.key), connection.smembers(f"{window.key}:tokens")
    if counts:
        try:
            audit.record(
                "api.refused",
                source_ip=None if address == _NO_ADDRESS else address,
                outcome="denied",
                **_event(window, counts, prefixes),
            )
        except audit.AuditUnavailable:
            connection.zadd(_closing(), {member: window.ends})  # kept for the next flush
            raise
    connection.delete(window.key, f"{window.key}:tokens")
    return True


def flush(*, now: float | None = None) -> int:
    """Audit every window that has closed, one event each; returns how many were written.

    Safe to run anywhere at once: each window is claimed by removing it from
    the closing set, which only one caller can do.
    """
    now = time.time() if now is None else now
    connection = client()
    members = connection.zrangebyscore(_closing(), "-inf", now, start=0, num=FLUSH_BATCH)
    return sum(_flush_one(connection, member.decode()) for member in members)
