"""Celery tasks: keep cached sessions in active use fresh before clients need them.

Thin on purpose: they take cache ids and call ``federation.delivery``. Beat
runs ``refresh_due`` (``CELERY_BEAT_SCHEDULE``); it claims due ids for a
minute, so a slow queue does not enqueue the same id twice, and queues one
``refresh_session`` per id. ``refresh_session`` is idempotent and takes the
same per-key Redis lock as a request, so one refresh per key runs at a time
across every worker; STS or Redis trouble is retried with backoff and jitter.
"""

from __future__ import annotations

import time

from celery import shared_task

from federation import credcache, delivery, sts

BATCH = 10_000
CLAIM_SECONDS = 60


@shared_task(soft_time_limit=20, time_limit=30, ignore_result=True)
def refresh_due() -> int:
    """Queue a refresh for every cached session due now; returns how many were queued."""
    now = time.time()
    key_ids = credcache.due(now, limit=BATCH)
    credcache.postpone(key_ids, now + CLAIM_SECONDS)
    for key_id in key_ids:
        refresh_session.apply_async((key_id,), expires=CLAIM_SECONDS)
    return len(key_ids)


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
