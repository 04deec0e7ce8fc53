"""Recovery codes: ten single-use codes per person, kept only as keyed hashes.

A ``RecoveryCodes`` row is a django-otp device, so using a code marks the
session verified the way a TOTP code does (``factor`` ``"recovery"``). Each
``RecoveryCode`` holds ``HMAC(key, user id + code)`` (the API tokens' key,
``broker.apitokens.tokens.digest``), never the code: a database dump does not give a
way in. A code is spent by a conditional UPDATE, so two requests racing with
the same code cannot both succeed.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin


class RecoveryCodes(ThrottlingMixin, Device):
    """A person's current set of recovery codes (a new set replaces the old one)."""

    class Meta:
        verbose_name = "recovery codes"
        verbose_name_plural = "recovery codes"

    def get_throttle_factor(self) -> int:
        from django.conf import settings

        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()

    def verify_token(self, token: str) -> bool:
        from broker.mfa import recovery

        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        spent = recovery.spend(self, token)
        if spent:
            self.throttle_reset(commit=True)
        else:
            self.throttle_increment(commit=True)
        return spent


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodes, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "digest"], name="one_code_digest_per_set")]

    def __str__(self) -> str:
        return f"recovery code of {self.device.user} ({'used' if self.used_at else 'unused'})"
