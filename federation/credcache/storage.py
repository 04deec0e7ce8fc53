"""Read and write one cached session: its sealed value, its metadata and its refresh time.

Each call is one Redis round trip (a Lua script or a transaction), because
this is the path of every API request and every refresh: ``lookup`` reads
and marks the session as in use, ``store`` writes value, metadata and due
time together (and frees the writer's lock in the same trip). Values expire
with their sessions, so Redis never holds a dead credential.
"""

from __future__ import annotations

import time

from broker.redisconn import client
from federation.credcache.claims import free_lock
from federation.credcache.entries import Entry
from federation.credcache.errors import guard
from federation.credcache.keys import key
from federation.credcache.meta import describe
from federation.credcache.schedule import let_go
from federation.credcache.sealed import open_value, seal_value
from federation.credcache.spec import SessionSpec

_GET_AND_TOUCH = """
local value = redis.call('GET', KEYS[1])
if value and redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HSET', KEYS[2], 'last_used', ARGV[1]) end
return value
"""


def lookup(spec: SessionSpec) -> Entry | None:
    """The cached session, marking it as in use (one round trip)."""
    keys = [key("v", spec.key_id), key("m", spec.key_id)]
    blob = guard(lambda: client().eval(_GET_AND_TOUCH, 2, *keys, f"{time.time():.0f}"))
    return open_value(spec, blob)


def peek(spec: SessionSpec) -> Entry | None:
    return open_value(spec, guard(lambda: client().get(key("v", spec.key_id))))


def store(spec: SessionSpec, entry: Entry, *, used: bool = True, release: str | None = None) -> None:
    """Keep a session; ``used=False`` (a refresh) leaves the last-use time alone.

    ``release`` is the token of this key's lock (``claim``), freed in the same
    round trip once the new value is in place.
    """
    blob = seal_value(spec, entry)
    expires_ms = int(entry.expires_at * 1000)
    meta = describe(spec, entry, used=used)

    def write() -> None:
        pipe = client().pipeline(transaction=True)
        pipe.set(key("v", spec.key_id), blob, pxat=expires_ms)
        pipe.hset(key("m", spec.key_id), mapping=meta)
        pipe.pexpireat(key("m", spec.key_id), expires_ms)
        pipe.zadd(key("due"), {spec.key_id: entry.refresh_at(spec.duration)})
        if release is not None:
            free_lock(pipe, spec.key_id, release)
        pipe.execute()

    guard(write)


def drop(key_id: str) -> None:
    guard(lambda: client().delete(key("v", key_id), key("m", key_id)))
    let_go(key_id)
