"""Celery tasks: keep cached sessions in active use fresh before clients need them.

Thin on purpose: they take cache ids and call ``federation.delivery``. Beat
runs ``refresh_due`` (``CELERY_BEAT_SCHEDULE``); it claims due ids for a
minute, so a slow queue does not enqueue the same id twice, and queues them
in batches of ``CHUNK``. ``refresh_batch`` refreshes a batch concurrently
(``federation.credcache.refreshing``: a thread pool, since each refresh
mostly waits on STS); each refresh is idempotent and takes the same per-key
Redis lock as a request, so one refresh per key runs at a time across every
worker. An id that met STS or Redis trouble is queued again on its own as
``refresh_session``, which retries with backoff and jitter.

They stay here, beside the cache package rather than in it: Celery finds
them as ``federation.tasks`` and names them after it, and beat schedules
and messages already queued use those names.
"""

from __future__ import annotations

import time

from celery import shared_task

from federation import credcache, delivery, sts
from federation.credcache import refreshing

BATCH = 10_000
CHUNK = 32  # ids per refresh_batch: two rounds of a 16-thread pool
CLAIM_SECONDS = 60


@shared_task(soft_time_limit=20, time_limit=30, ignore_result=True)
def refresh_due() -> int:
    """Queue a refresh for every cached session due now; returns how many were queued."""
    now = time.time()
    key_ids = credcache.due(now, limit=BATCH)
    credcache.postpone(key_ids, now + CLAIM_SECONDS)
    for start in range(0, len(key_ids), CHUNK):
        refresh_batch.apply_async((key_ids[start : start + CHUNK],), expires=CLAIM_SECONDS)
    return len(key_ids)


@shared_task(soft_time_limit=50, time_limit=60, ignore_result=True)
def refresh_batch(key_ids: list[str]) -> dict[str, int]:
    """Refresh several sessions at once; those that should be tried again go on alone."""
    outcomes = refreshing.refresh_many(key_ids)
    for key_id, outcome in outcomes.items():
        if outcome == "retry":
            refresh_session.apply_async((key_id,), countdown=2)
    return refreshing.summary(outcomes)


@shared_task(
    autoretry_for=(sts.StsUnavailable, credcache.CacheUnavailable),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=50,
    time_limit=60,
    ignore_result=True,
)
def refresh_session(key_id: str) -> str:
    return delivery.refresh(key_id=key_id)
