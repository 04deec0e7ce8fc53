"""Accounts, roles, group grants and the issuance ledger.

Naming: ``role_arn`` is an IAM role ARN; ``alias`` is the broker's short,
URL-safe name for a role; ``session_seconds`` is a credential lifetime.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from federation.partitions import PARTITIONS, ROLE_ARN, Partition
from federation.policies import PolicyError, validate_policy
from federation.tags import SessionTagError, check_mapping

MIN_SESSION_SECONDS = 900
MAX_ASSUME_ROLE_SECONDS = 43200
MAX_FEDERATION_TOKEN_SECONDS = 129600
CHAINED_SESSION_SECONDS = 3600

ASSUME_ROLE = "assume_role"
FEDERATION_TOKEN = "federation_token"  # noqa: S105 - a method name, not a secret

# What a grant asks of a person's second factor, weakest first (the access decision relies on the order).
MFA_NONE, MFA_ANY, MFA_WEBAUTHN = "", "any", "webauthn"
MFA_LEVELS = [MFA_NONE, MFA_ANY, MFA_WEBAUTHN]
MFA_CHOICES = [
    (MFA_NONE, "No"),
    (MFA_ANY, "Any second factor (passkey, authenticator app, recovery code, or the IdP's MFA)"),
    (MFA_WEBAUTHN, "A passkey or security key (phishing-resistant)"),
]


class AwsAccount(models.Model):
    account_id = models.CharField(
        "account ID",
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^\d{12}$", "An AWS account ID is exactly 12 digits.")],
    )
    name = models.CharField(max_length=100)
    partition = models.CharField(max_length=16, choices=[(name, name) for name in PARTITIONS], default="aws")
    admin_role_arn = models.CharField(
        "admin role ARN",
        max_length=2048,
        blank=True,
        help_text="A role in this account the broker may assume to change IAM there (revoking sessions). "
        "Not needed for the broker's own account.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "AWS account"

    def __str__(self) -> str:
        return f"{self.name} ({self.account_id})"

    def clean(self) -> None:
        if not self.admin_role_arn:
            return
        match = ROLE_ARN.match(self.admin_role_arn)
        if match is None or match["account"] != self.account_id:
            raise ValidationError(
                {
                    "admin_role_arn": "Give an IAM role ARN in this account "
                    f"(arn:aws:iam::{self.account_id}:role/Name)."
                }
            )


class Role(models.Model):
    alias = models.SlugField(max_length=64, unique=True, help_text="Short name used in URLs and the API.")
    account = models.ForeignKey(AwsAccount, on_delete=models.PROTECT, related_name="roles")
    arn = models.CharField(
        "role ARN",
        max_length=2048,
        blank=True,
        help_text="Set for AssumeRole; leave empty for GetFederationToken.",
    )
    federation_policy = models.JSONField(
        null=True, blank=True, help_text="GetFederationToken only: the policy the federated user gets."
    )
    max_session_seconds = models.PositiveIntegerField(
        default=3600,
        validators=[MinValueValidator(MIN_SESSION_SECONDS), MaxValueValidator(MAX_FEDERATION_TOKEN_SECONDS)],
    )
    description = models.CharField(max_length=255, blank=True)
    session_tags = models.JSONField(
        default=dict,
        blank=True,
        help_text='AssumeRole only: tag key → principal attribute, e.g. {"Department": "department"}.',
    )

    class Meta:
        ordering = ["account__name", "alias"]

    def __str__(self) -> str:
        return self.alias

    @property
    def method(self) -> str:
        return ASSUME_ROLE if self.arn else FEDERATION_TOKEN

    @property
    def name(self) -> str:
        """The IAM role's own name, or the alias for a federation-token role."""
        return self.arn.rsplit("/", 1)[-1] if self.arn else self.alias

    @property
    def partition(self) -> Partition:
        return PARTITIONS[self.account.partition]

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if bool(self.arn) == bool(self.federation_policy):
            errors["arn"] = "Give either a role ARN (AssumeRole) or a federation policy (GetFederationToken)."
        if self.arn:
            match = ROLE_ARN.match(self.arn)
            if match is None:
                errors["arn"] = "Not an IAM role ARN (arn:aws:iam::123456789012:role/Name)."
            elif self.account_id and match["account"] != self.account.account_id:
                errors["arn"] = f"The ARN names account {match['account']}, not {self.account.account_id}."
            elif self.account_id and match["partition"] != self.account.partition:
                errors["arn"] = (
                    f"The ARN is in partition {match['partition']}, the account in {self.account.partition}."
                )
            if self.max_session_seconds > MAX_ASSUME_ROLE_SECONDS:
                errors["max_session_seconds"] = (
                    f"AssumeRole sessions last at most {MAX_ASSUME_ROLE_SECONDS} s."
                )
        if self.federation_policy:
            try:
                validate_policy(self.federation_policy)
            except PolicyError as exc:
                errors["federation_policy"] = str(exc)
        try:
            check_mapping(self.session_tags or {})
        except SessionTagError as exc:
            errors["session_tags"] = str(exc)
        if errors:
            raise ValidationError(errors)


class Grant(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="aws_grants")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="grants")
    session_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(MIN_SESSION_SECONDS), MaxValueValidator(MAX_FEDERATION_TOKEN_SECONDS)],
        help_text="Default session length; the role's maximum when empty.",
    )
    session_policy = models.JSONField(
        null=True, blank=True, help_text="Optional down-scoping, intersected with the role's permissions."
    )
    require_mfa = models.CharField(
        "require MFA",
        max_length=8,
        choices=MFA_CHOICES,
        default=MFA_NONE,
        blank=True,
        help_text="What second factor people must have shown to use the role through this grant.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "role"], name="one_grant_per_group_role")]
        ordering = ["group__name", "role__alias"]

    def __str__(self) -> str:
        return f"{self.group.name} → {self.role.alias}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.session_policy:
            try:
                validate_policy(self.session_policy)
            except PolicyError as exc:
                errors["session_policy"] = str(exc)
        if self.session_seconds and self.role_id and self.session_seconds > self.role.max_session_seconds:
            errors["session_seconds"] = f"The role allows at most {self.role.max_session_seconds} s."
        if errors:
            raise ValidationError(errors)


class Issuance(models.Model):
    """The ledger: one row per credential the broker obtained. Never a secret."""

    username = models.CharField(max_length=255, db_index=True)
    role = models.ForeignKey(Role, null=True, on_delete=models.SET_NULL, related_name="issuances")
    role_alias = models.CharField(max_length=64, db_index=True)
    method = models.CharField(max_length=40)
    purpose = models.CharField(max_length=20, help_text="console, cli or api")
    access_key_id = models.CharField(max_length=128, db_index=True)
    issued_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    source_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"{self.access_key_id} for {self.username} as {self.role_alias}"
