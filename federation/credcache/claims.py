"""The per-key lock: one STS call per cached session at a time, across every worker and request.

A lock is a random token under ``lock:<id>`` that expires by itself
(``LOCK_SECONDS``, longer than the STS client's worst case), so a crashed
holder never blocks a key for long; only the holder's token frees it early.
``take_lock`` and ``free_lock`` work on a client or within a pipeline, so a
refresh can take the lock with its reads, and free it with its write, in the
same round trip.
"""

from __future__ import annotations

import secrets
from typing import Any

from broker.redisconn import client
from federation.credcache.errors import guard
from federation.credcache.keys import key
from federation.credcache.meta import text

LOCK_SECONDS = 45  # longer than the STS client's worst case (timeouts x attempts)

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def take_lock(target: Any, key_id: str, token: str) -> Any:
    """The one way the per-key lock is taken, on a client or within a pipeline."""
    return target.set(key("lock", key_id), token, nx=True, ex=LOCK_SECONDS)


def free_lock(target: Any, key_id: str, token: str) -> Any:
    """The one way the per-key lock is freed (by its holder's token only), on a client or in a pipeline."""
    return target.eval(_RELEASE, 1, key("lock", key_id), token)


def claim(key_id: str) -> tuple[dict[str, str], str | None, bytes | None]:
    """For a refresh, in one round trip: the metadata, this key's lock (its token,
    ``None`` when someone holds it) and the sealed value (``open_value`` reads it)."""
    token = secrets.token_hex(8)
    pipe = client().pipeline(transaction=False)
    pipe.hgetall(key("m", key_id))
    take_lock(pipe, key_id, token)
    pipe.get(key("v", key_id))
    meta, won, blob = guard(pipe.execute)
    return text(meta), token if won else None, blob


def acquire(key_id: str) -> str | None:
    token = secrets.token_hex(8)
    won = guard(lambda: take_lock(client(), key_id, token))
    return token if won else None


def release(key_id: str, token: str) -> None:
    guard(lambda: free_lock(client(), key_id, token))
