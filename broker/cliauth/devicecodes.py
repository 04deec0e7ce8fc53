"""Entering a device's user code: who may, how often, and which codes count.

A user code is the only thing between a device waiting for approval and
someone else's AWS access, so:

- a code belongs to the first person who enters it; anyone else entering it
  afterwards gets the answer an unknown code gets (the library alone let a
  second person re-bind it);
- each wrong, expired, used or foreign code is audited
  (``cli.user_code_refused``), and a person with ``LIMIT`` of them in the
  last ``WINDOW`` is refused (429) before any lookup. The count comes from
  the audit trail, so it holds across web nodes and survives a Redis outage;
- the code is compared in its normalised form (case, spaces and the dash do
  not matter).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import get_device_grant_model

from broker import audit
from broker.cliauth import config
from broker.models import AuditEvent

LIMIT = 10
WINDOW = timedelta(minutes=10)
REFUSED = "cli.user_code_refused"


class CodeRefused(Exception):
    """The code cannot be used; the message is safe to show (it never says whose it is)."""


class TooManyCodes(Exception):
    status = 429


def check_allowed(user: Any) -> None:
    since = timezone.now() - WINDOW
    wrong = AuditEvent.objects.filter(action=REFUSED, actor=user.get_username(), created_at__gte=since)
    if wrong.count() >= LIMIT:
        raise TooManyCodes(
            f"too many wrong codes: try again in {WINDOW.seconds // 60} minutes, or start a new sign-in"
        )


def _refuse(request: HttpRequest, reason: str, message: str) -> CodeRefused:
    audit.record_request(REFUSED, request, outcome="denied", reason=reason)
    return CodeRefused(message)


def claim(request: HttpRequest, typed: str) -> Any:
    """The pending device grant for ``typed``, now bound to the signed-in person."""
    check_allowed(request.user)
    model = get_device_grant_model()
    device = model.objects.filter(
        user_code=config.normalise_user_code(typed), client_id=config.CLIENT_ID
    ).first()
    unknown = "That code is not valid. Check it on your terminal and try again."
    if device is None:
        raise _refuse(request, "unknown", unknown)
    if device.user_id not in (None, request.user.pk):
        raise _refuse(request, "another_person", unknown)
    if device.is_expired():
        raise _refuse(request, "expired", "That code has expired. Run `awsbroker login --device` again.")
    if device.status != model.AUTHORIZATION_PENDING:
        raise _refuse(request, "used", "That code was already used. Run `awsbroker login --device` again.")
    bound = model.objects.filter(pk=device.pk, user__isnull=True).update(user=request.user)
    if not bound and device.user_id != request.user.pk:
        raise _refuse(request, "another_person", unknown)
    device.user = request.user
    return device
