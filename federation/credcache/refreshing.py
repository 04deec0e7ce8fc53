"""Refresh many cached sessions at once: one STS call each, overlapped on a thread pool.

A refresh spends most of its time waiting for STS (50 ms or more), so a
worker process runs up to ``BROKER_REFRESH_THREADS`` of them at a time (1 on
SQLite, whose single writer would only make them queue). Each one is the
ordinary ``delivery.refresh``: the per-key Redis lock (one refresh per key
across every worker and request), idempotent, and its own ledger row and
audit event. A refresh that fails for a reason worth retrying (STS or Redis
unavailable) comes back as ``retry`` for the caller to queue on its own,
with backoff.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connections

from federation import credcache, delivery, sts

log = logging.getLogger(__name__)


@functools.cache
def _pool(threads: int) -> ThreadPoolExecutor:
    """One pool per process, made on first use (after a prefork worker has forked)."""
    return ThreadPoolExecutor(threads, thread_name_prefix="refresh")


def _one(key_id: str) -> str:
    close_old_connections()  # as Django does around a request: a broken or aged connection is replaced
    try:
        return delivery.refresh(key_id=key_id)
    except (sts.StsUnavailable, credcache.CacheUnavailable):
        return "retry"
    except Exception:
        log.exception("refreshing a cached session failed")
        return "error"


def refresh_many(key_ids: list[str]) -> dict[str, str]:
    """Each id's outcome (``delivery.refresh``'s words, or ``retry`` / ``error``)."""
    return dict(zip(key_ids, _pool(settings.BROKER_REFRESH_THREADS).map(_one, key_ids), strict=True))


def summary(outcomes: dict[str, str]) -> dict[str, int]:
    return dict(Counter(outcomes.values()))


def close_connections() -> None:
    """Close each pool thread's database connections (tests, before their database is dropped)."""
    threads = settings.BROKER_REFRESH_THREADS
    everyone = threading.Barrier(threads)

    def close(_: int) -> None:
        everyone.wait(timeout=10)  # so each thread of the pool takes exactly one
        connections.close_all()

    list(_pool(threads).map(close, range(threads)))
