"""The credential cache: sealed STS sessions in Redis, shared and kept fresh.

Callers use this package's names (``credcache.lookup``, ``credcache.store``,
``credcache.single_flight``...); the modules keep each concern small:

- ``spec``: ``SessionSpec``, what makes two requests want the same session,
  and the key id and sealing context derived from it.
- ``entries``: ``Entry``, a cached session, and when it is served or refreshed.
- ``keys``: the names of the Redis keys (the layout is described there).
- ``sealed``: an entry as the sealed bytes kept in Redis.
- ``meta``: the plain metadata beside each value, for the refresher.
- ``storage``: read and write one session, one round trip each.
- ``schedule``: the ``due`` set that beat reads to refresh ahead.
- ``claims``: the per-key lock.
- ``sharing``: single flight, one STS call for N concurrent misses.
- ``purging``: forget sessions by role or subject (revocation).
- ``errors``: ``CacheUnavailable``, ``SharedFailure``.

Every Redis failure becomes ``CacheUnavailable``: callers then go to STS
directly and nothing is served from anywhere else.

Two modules are not imported here, so importing the cache stays cheap and
free of cycles: ``refreshing`` (refresh-ahead on a thread pool, which calls
``federation.delivery``, itself a user of this package) and ``held`` (the
portal's sealed, briefly held CLI credentials, kept in the session, not in
Redis). Import them by name: ``from federation.credcache import refreshing``.
The Celery tasks stay in ``federation.tasks``, the name their beat schedule
and queued messages use.
"""

from __future__ import annotations

from federation.credcache.claims import acquire, claim, release
from federation.credcache.entries import Entry
from federation.credcache.errors import CacheUnavailable, SharedFailure
from federation.credcache.meta import metadata
from federation.credcache.purging import purge
from federation.credcache.schedule import due, let_go, postpone
from federation.credcache.sealed import open_value
from federation.credcache.sharing import single_flight
from federation.credcache.spec import SessionSpec
from federation.credcache.storage import drop, lookup, peek, store

__all__ = [
    "CacheUnavailable",
    "Entry",
    "SessionSpec",
    "SharedFailure",
    "acquire",
    "claim",
    "drop",
    "due",
    "let_go",
    "lookup",
    "metadata",
    "open_value",
    "peek",
    "postpone",
    "purge",
    "release",
    "single_flight",
    "store",
]
