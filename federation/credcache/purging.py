"""Forget cached sessions by role alias and/or subject: for revocation and a revoked elevation.

Matching reads only the plain metadata (``meta``), so it needs no key and
sees no secret. It walks every ``m:<id>`` key (a SCAN), which is fine for
something as rare as a revocation and never misses a session.
"""

from __future__ import annotations

from broker.redisconn import client
from federation.credcache.errors import guard
from federation.credcache.keys import key
from federation.credcache.meta import metadata
from federation.credcache.storage import drop


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

    pattern = key("m", "*")
    purged = 0
    for raw in guard(lambda: list(client().scan_iter(match=pattern, count=1000))):
        key_id = raw.decode().rsplit(":", 1)[-1]
        if matches(metadata(key_id)):
            drop(key_id)
            purged += 1
    return purged
