"""What elevation stores: the rule that makes a grant eligible, requests, approvals, history, outbox.

Naming: ``requester_name`` / ``approver_name`` are usernames as the access
decision sees them (``Principal.username``); they are kept beside the
foreign keys so the history survives a deleted user. Requests are written
only by ``federation.elevation.states``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from federation.models import MIN_SESSION_SECONDS, Grant, Role

MAX_ELEVATION_SECONDS = 7 * 24 * 3600  # a week; sessions inside it are AWS's length at most
MAX_APPROVALS = 10
REQUIRED, OPTIONAL = "required", "optional"


class ApprovalRule(models.Model):
    """Makes a grant eligible: its role is used only after approval, for a limited time."""

    grant = models.OneToOneField(Grant, on_delete=models.CASCADE, related_name="approval")
    approvers = models.ManyToManyField(
        Group, related_name="approves_for", help_text="Members of these groups may approve (never their own)."
    )
    approvals = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_APPROVALS)],
        help_text="Distinct approvers needed.",
    )
    max_seconds = models.PositiveIntegerField(
        "longest elevation (s)",
        default=3600,
        validators=[MinValueValidator(MIN_SESSION_SECONDS), MaxValueValidator(MAX_ELEVATION_SECONDS)],
    )
    justification = models.CharField(
        max_length=8,
        choices=[(REQUIRED, "required"), (OPTIONAL, "optional")],
        default=REQUIRED,
        help_text="Whether a request must say why (and may name a ticket).",
    )

    class Meta:
        verbose_name = "approval rule (makes the grant eligible)"

    def __str__(self) -> str:
        return f"approval for {self.grant}"

    def approver_names(self) -> list[str]:
        return sorted(self.approvers.values_list("name", flat=True))


class AccessRequest(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        DENIED = "denied"
        EXPIRED = "expired"
        REVOKED = "revoked"
        CANCELLED = "cancelled"

    class Denial(models.TextChoices):
        """The AWS side of an early end (``federation.elevation.denial``)."""

        NONE = "", "not needed"
        PENDING = "pending", "to put on the role"
        APPLIED = "applied", "on the role"
        FAILED = "failed", "failed; retried"
        REMOVED = "removed", "removed after the sessions expired"

    role = models.ForeignKey(Role, null=True, on_delete=models.SET_NULL, related_name="access_requests")
    role_alias = models.CharField(max_length=64, db_index=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="access_requests"
    )
    requester_name = models.CharField(max_length=255, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    duration_seconds = models.PositiveIntegerField()
    justification = models.TextField(blank=True)
    ticket = models.CharField(max_length=64, blank=True)
    # The rule's terms when the request was made, so a later edit does not change a request in flight.
    approvals_required = models.PositiveSmallIntegerField()
    approver_groups = models.JSONField(default=list)
    created_at = models.DateTimeField(db_index=True)
    pending_until = models.DateTimeField(help_text="A pending request expires then.")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=255, blank=True)
    denial = models.CharField(max_length=8, choices=Denial.choices, default=Denial.NONE, blank=True)
    denial_before = models.DateTimeField(
        null=True, blank=True, help_text="Sessions issued before are denied."
    )
    denial_policy = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requester_name", "role", "state"], name="elevation_active_lookup")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.requester_name} → {self.role_alias} ({self.state})"

    def seconds_left(self, now: datetime) -> int:
        if self.state != self.State.ACTIVE or self.ends_at is None:
            return 0
        return max(0, int((self.ends_at - now).total_seconds()))

    def approver_list(self) -> list[dict[str, Any]]:
        return [{"approver": a.approver_name, "at": a.at} for a in self.approvals.all()]


class Approval(models.Model):
    """One approver's yes; a request needs ``approvals_required`` of them from distinct people."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    approver_name = models.CharField(max_length=255)
    comment = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "approver_name"], name="one_approval_per_approver")
        ]

    def __str__(self) -> str:
        return f"{self.approver_name} approved #{self.request_id}"


class RequestEvent(models.Model):
    """A request's history: every transition, who made it, and the comment."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.CharField(max_length=255)
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action}"


class Notification(models.Model):
    """The outbox: one message to one channel, sent by a task and retried until it goes.

    ``target`` names a channel without its secret: ``email`` or ``apprise:<n>``
    (the n-th URL of ``BROKER_ELEVATION_NOTIFY_URLS``, which may hold tokens).
    """

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="notifications")
    target = models.CharField(max_length=32)
    recipients = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.target}: {self.subject}"
