"""The plain metadata kept beside each sealed value (``m:<id>``): what a refresh needs to ask again.

Subject, role alias, requested terms, the session's lifetime and its last
use; never a secret, so the refresher and revocation can read and match it
without a key. The last use is what lets a refresh let an idle session go.
"""

from __future__ import annotations

import time

from broker.redisconn import client
from federation.credcache.entries import Entry
from federation.credcache.errors import guard
from federation.credcache.keys import key
from federation.credcache.spec import SessionSpec


def describe(spec: SessionSpec, entry: Entry, *, used: bool) -> dict[str, str | int]:
    """The metadata to write with ``entry``; ``used=False`` (a refresh) leaves the last use alone."""
    meta: dict[str, str | int] = {
        "subject": spec.subject,
        "alias": spec.alias,
        "duration": spec.duration,
        "requested_policy": spec.requested_policy,
        "lifetime": int(entry.expires_at - entry.issued_at),
    }
    if used:
        meta["last_used"] = f"{time.time():.0f}"
    return meta


def text(raw: dict[bytes, bytes]) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in raw.items()}


def metadata(key_id: str) -> dict[str, str]:
    return text(guard(lambda: client().hgetall(key("m", key_id))))
