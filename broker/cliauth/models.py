"""One row per CLI sign-in, alongside django-oauth-toolkit's own token rows.

The library keeps tokens; it does not know what the broker must remember
about the sign-in that produced them: whether the approving browser session
had shown a second factor (grants with ``require_mfa`` depend on it), when
the sign-in must end however often its refresh token rotates (the work day,
``BROKER_CLI_SESSION_SECONDS``), and whether it was ended. A ``CliSession`` is
created when the person approves (the authorization-code consent or the
device confirmation) and is tied to the refresh-token family at the first
token exchange; every later use of any token of that family checks it.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class CliSession(models.Model):
    BROWSER = "browser"
    DEVICE = "device"
    FLOWS = [(BROWSER, "Browser (authorization code + PKCE)"), (DEVICE, "Device code")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cli_sessions")
    flow = models.CharField(max_length=10, choices=FLOWS)
    mfa = models.BooleanField(default=False, help_text="the approving session had shown a second factor")
    # Exactly one of these while the approval waits for its token exchange; the
    # library deletes an authorization code once used, hence SET_NULL.
    grant = models.OneToOneField(
        settings.OAUTH2_PROVIDER_GRANT_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cli_session",
    )
    device_grant = models.OneToOneField(
        settings.OAUTH2_PROVIDER_DEVICE_GRANT_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cli_session",
    )
    token_family = models.UUIDField(null=True, blank=True, unique=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ends_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"CLI session #{self.pk} of {self.user} ({self.flow})"

    def live(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and now < self.ends_at and self.user.is_active

    @property
    def label(self) -> str:
        """How the session appears in the audit trail and on the tokens page (no secret)."""
        return f"cli:{self.pk}"
