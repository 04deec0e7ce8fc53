"""Celery task: audit failed API authentications, one event per address and closed window.

Thin on purpose; ``broker.apitokens.failures`` does the work. Beat runs it
every 30 s (``CELERY_BEAT_SCHEDULE``); an audit trail that refuses the write
keeps the window for the next run.
"""

from __future__ import annotations

from celery import shared_task

from broker.apitokens import failures


@shared_task(soft_time_limit=20, time_limit=30, ignore_result=True)
def flush_auth_failures() -> int:
    return failures.flush()
