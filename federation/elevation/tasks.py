"""Celery tasks for elevation: expiry, notifications, and removing AWS denies once they are moot.

Beat runs ``expire_due``, ``retry_notifications`` and ``cleanup_denials``
(``CELERY_BEAT_SCHEDULE``, each with ``expires`` so a missed tick is dropped).
Every task is idempotent: expiring a request that is not due, sending a
message already sent, or removing a policy already gone does nothing.
Messages are queued on commit (``notify.queue``).
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from federation.elevation import denial, notify, states


@shared_task(soft_time_limit=50, time_limit=60, ignore_result=True)
def expire_due() -> int:
    """Expire pending requests left unanswered and active elevations whose time is up."""
    return sum(1 for pk in states.due_ids(timezone.now()) if states.expire(request_id=pk) is not None)


@shared_task(soft_time_limit=20, time_limit=30, ignore_result=True)
def send_notification(notification_id: int) -> bool:
    return notify.send(notification_id)


@shared_task(soft_time_limit=50, time_limit=60, ignore_result=True)
def retry_notifications() -> int:
    """Send every message that is due again; returns how many went."""
    return sum(1 for pk in notify.due(timezone.now()) if notify.send(pk))


@shared_task(soft_time_limit=110, time_limit=120, ignore_result=True)
def cleanup_denials() -> dict[str, int]:
    return denial.cleanup()
