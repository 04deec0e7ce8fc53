"""Tell people about a request: email (Django's mail settings) and Apprise targets, via an outbox.

A transition stores one ``Notification`` row per channel once it commits,
and a task sends it; a send that fails is retried by the beat task with a
growing delay, up to ``MAX_ATTEMPTS``. Apprise URLs (Slack, Microsoft Teams,
``json://`` webhooks, ...) come from ``BROKER_ELEVATION_NOTIFY_URLS``; they
hold tokens, so rows name them only by position (``apprise:0``). Messages
carry a link to the request, never a credential.

When parts fail: an unreachable mail server or webhook leaves the row
unsent with the error's type (no secret), retried; the transition itself is
never held up or undone by a notification.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from federation.elevation.models import AccessRequest, Notification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM = timedelta(minutes=2)  # one sender at a time per row

SUBJECTS = {
    "requested": "{requester} requests {role} for {minutes} min (#{id})",
    "active": "Approved: {role} is yours for {minutes} min (#{id})",
    "denied": "Denied: your request for {role} (#{id})",
    "cancelled": "Cancelled: {requester}'s request for {role} (#{id})",
    "revoked": "Revoked: {requester}'s elevation to {role} (#{id})",
    "expired": "Expired: {requester}'s request for {role} (#{id})",
}


def link(request: AccessRequest) -> str:
    return f"{settings.BROKER_BASE_URL}/requests/{request.pk}/"


def _emails(
    usernames: set[str] | None = None, groups: list[str] | None = None, exclude: str = ""
) -> list[str]:
    users = get_user_model().objects.filter(is_active=True).exclude(email="").exclude(username=exclude)
    if groups is not None:
        users = users.filter(groups__name__in=groups)
    if usernames is not None:
        users = users.filter(username__in=usernames)
    return sorted(set(users.values_list("email", flat=True)))


def _body(request: AccessRequest, what: str) -> str:
    lines = [
        f"Request #{request.pk}: {request.requester_name} asks for {request.role_alias} "
        f"for {request.duration_seconds // 60} minutes.",
        f"State: {request.state}.",
        f"Justification: {request.justification or '(none)'}",
    ]
    if request.ticket:
        lines.append(f"Ticket: {request.ticket}")
    if request.ends_at and request.state == AccessRequest.State.ACTIVE:
        lines.append(f"Active until {request.ends_at:%Y-%m-%d %H:%M} UTC.")
    if what == "requested":
        lines.append(f"Approvers: {', '.join(request.approver_groups)}; {request.approvals_required} needed.")
    lines.append(f"Open it: {link(request)}")
    return "\n".join(lines)


def _recipients(request: AccessRequest, what: str) -> list[str]:
    if what == "requested":
        return _emails(groups=request.approver_groups, exclude=request.requester_name)
    return _emails(usernames={request.requester_name})


def queue(request_id: int, what: str) -> list[int]:
    """Store the messages for ``what`` (a state or ``requested``) and send each by a task."""
    request = AccessRequest.objects.filter(pk=request_id).first()
    if request is None or what not in SUBJECTS:
        return []
    subject = SUBJECTS[what].format(
        requester=request.requester_name,
        role=request.role_alias,
        minutes=request.duration_seconds // 60,
        id=request.pk,
    )
    body = _body(request, what)
    now = timezone.now()
    targets: list[tuple[str, list[str]]] = []
    if settings.BROKER_ELEVATION_NOTIFY_EMAIL and (recipients := _recipients(request, what)):
        targets.append(("email", recipients))
    targets += [(f"apprise:{index}", []) for index in range(len(settings.BROKER_ELEVATION_NOTIFY_URLS))]
    rows = [
        Notification.objects.create(
            request=request,
            target=target,
            recipients=recipients,
            subject=subject[:200],
            body=body,
            created_at=now,
            next_attempt_at=now,
        )
        for target, recipients in targets
    ]
    from federation.elevation import tasks

    for row in rows:
        # robust: with the queue down the row stays unsent and the beat task sends it later.
        transaction.on_commit(lambda pk=row.pk: tasks.send_notification.delay(pk), robust=True)
    return [row.pk for row in rows]


def _deliver(row: Notification) -> None:
    if row.target == "email":
        send_mail(row.subject, row.body, settings.DEFAULT_FROM_EMAIL, row.recipients, fail_silently=False)
        return
    import apprise

    index = int(row.target.partition(":")[2])
    urls = settings.BROKER_ELEVATION_NOTIFY_URLS
    if index >= len(urls):
        raise LookupError(f"{row.target} is no longer configured")
    target = apprise.Apprise()
    if not target.add(urls[index]):
        raise ValueError(f"{row.target} is not a URL Apprise understands")
    if not target.notify(title=row.subject, body=row.body):
        raise ConnectionError(f"{row.target} did not accept the message")


def _reason(exc: Exception) -> str:
    """The error's type, and its message only for our own errors (a mail server's may echo secrets)."""
    own = isinstance(exc, LookupError | ValueError | ConnectionError) and type(exc).__module__ == "builtins"
    return f"{type(exc).__name__}: {str(exc)[:200]}" if own else type(exc).__name__


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def send(notification_id: int, now: datetime | None = None) -> bool:
    """Send one message if it is due and unsent; idempotent (a claimed or sent row is left alone)."""
    now = now or timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, sent_at__isnull=True, next_attempt_at__lte=now, attempts__lt=MAX_ATTEMPTS
    ).update(next_attempt_at=now + CLAIM)
    if not claimed:
        return False
    row = Notification.objects.get(pk=notification_id)
    try:
        _deliver(row)
    except Exception as exc:
        row.attempts += 1
        row.last_error = _reason(exc)
        row.next_attempt_at = now + _backoff(row.attempts)
        row.save(update_fields=["attempts", "last_error", "next_attempt_at"])
        log.warning("notification %s (%s) not sent: %s", row.pk, row.target, row.last_error)
        return False
    row.attempts += 1
    row.sent_at = timezone.now()
    row.last_error = ""
    row.save(update_fields=["attempts", "sent_at", "last_error"])
    return True


def due(now: datetime) -> list[int]:
    rows = Notification.objects.filter(
        sent_at__isnull=True, next_attempt_at__lte=now, attempts__lt=MAX_ATTEMPTS
    )
    return list(rows.order_by("next_attempt_at").values_list("pk", flat=True)[:500])
