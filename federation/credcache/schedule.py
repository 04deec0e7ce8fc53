"""When each cached session should be refreshed: the ``due`` sorted set, read by beat.

``storage.store`` files a session here (at ``Entry.refresh_at``) in the same
round trip as its value; ``due`` lists what beat should queue now,
``postpone`` claims ids already queued so the next tick skips them, and
``let_go`` takes an id out for good (idle, revoked, or ending with its elevation).
"""

from __future__ import annotations

from broker.redisconn import client
from federation.credcache.errors import guard
from federation.credcache.keys import key


def due(now: float, *, limit: int) -> list[str]:
    ids = guard(lambda: client().zrangebyscore(key("due"), "-inf", now, start=0, num=limit))
    return [i.decode() for i in ids]


def postpone(key_ids: list[str], until: float) -> None:
    """Claim ids for a refresh already queued, so the next beat tick skips them."""
    if key_ids:
        guard(lambda: client().zadd(key("due"), dict.fromkeys(key_ids, until), xx=True))


def let_go(key_id: str) -> None:
    """Stop refreshing; the value still expires with its session."""
    guard(lambda: client().zrem(key("due"), key_id))
