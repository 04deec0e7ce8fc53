"""Application identities and the bearer tokens that prove them.

An ``ApiClient`` is an application: it owns a Django group named
``api:<name>``, and roles reach it the same way they reach people, by grants
to that group. So ``broker`` never needs to know what a role is, and the one
access decision in ``federation`` answers for applications too.

An ``ApiToken`` belongs either to a client or, as a personal token, to an
employee acting as themselves. Only an HMAC of the token is stored; the
``lookup`` part is public and indexed, so verification is one indexed query
and one constant-time comparison.

Naming: ``subject`` is the stable string that names whoever a token speaks
for (``client:<id>`` or ``user:<id>``), used as a cache and throttle key.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

GROUP_PREFIX = "api:"
MIN_SESSION_SECONDS = 900
MAX_SESSION_SECONDS = 43200


def validate_networks(value: list[str]) -> None:
    if not isinstance(value, list):
        raise ValidationError('Give a list of CIDRs, e.g. ["10.0.0.0/8"].')
    for item in value:
        try:
            ipaddress.ip_network(str(item), strict=False)
        except ValueError:
            raise ValidationError(f"{item!r} is not an IP network (CIDR).") from None


class ApiClient(models.Model):
    name = models.SlugField(max_length=64, unique=True, help_text="Names the application in audit events.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_api_clients",
        help_text="The person answerable for this application.",
    )
    group = models.OneToOneField(
        Group,
        on_delete=models.PROTECT,
        related_name="api_client",
        editable=False,
        help_text="Grants to this group are the roles the client may use.",
    )
    description = models.CharField(max_length=255, blank=True)
    max_session_seconds = models.PositiveIntegerField(
        default=3600,
        validators=[MinValueValidator(MIN_SESSION_SECONDS), MaxValueValidator(MAX_SESSION_SECONDS)],
        help_text="Caps every session this client gets, whatever its grants allow.",
    )
    allowed_networks = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_networks],
        help_text='Source-IP allow-list as CIDRs, e.g. ["10.0.0.0/8"]; empty allows any address.',
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Refused after this time.")
    is_active = models.BooleanField(default=True, help_text="Clear to revoke every token at once.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "API client"

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.group_id:
            self.group, _ = Group.objects.get_or_create(name=self.principal_name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def subject(self) -> str:
        return f"client:{self.pk}"

    @property
    def principal_name(self) -> str:
        """The username the access decision, STS and the audit trail see."""
        return f"{GROUP_PREFIX}{self.name}"

    def usable(self, now: object = None) -> bool:
        now = now or timezone.now()
        return self.is_active and (self.expires_at is None or self.expires_at > now)

    def allows_address(self, address: str | None) -> bool:
        if not self.allowed_networks:
            return True
        if not address:
            return False
        ip = ipaddress.ip_address(address)
        return any(ip in ipaddress.ip_network(net, strict=False) for net in self.allowed_networks)


class ApiToken(models.Model):
    """A bearer token; the secret itself is never stored, only its HMAC."""

    lookup = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="Set for a personal token: the employee it acts as.",
    )
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(client__isnull=False, user__isnull=True)
                | models.Q(client__isnull=True, user__isnull=False),
                name="token_has_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"brk_{self.lookup}… ({self.client or self.user})"

    @property
    def subject(self) -> str:
        return self.client.subject if self.client_id else f"user:{self.user_id}"

    def usable(self, now: object = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
