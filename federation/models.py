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

from federation.partitions import PARTITIONS, ROLE_ARN, SAML_PROVIDER_ARN, Partition
from federation.policies import PolicyError, validate_policy
from federation.tags import SessionTagError, check_mapping

MIN_SESSION_SECONDS = 900
MAX_ASSUME_ROLE_SECONDS = 43200
MAX_FEDERATION_TOKEN_SECONDS = 129600
CHAINED_SESSION_SECONDS = 3600

ASSUME_ROLE = "assume_role"
FEDERATION_TOKEN = "federation_token"  # noqa: S105 - a method name, not a secret
SAML = "saml"
WEB_IDENTITY = "web_identity"
METHODS = [
    (ASSUME_ROLE, "AssumeRole (the broker's AWS credentials)"),
    (FEDERATION_TOKEN, "GetFederationToken (the broker's IAM user keys)"),
    (SAML, "AssumeRoleWithSAML (keyless: the broker signs a SAML assertion)"),
    (WEB_IDENTITY, "AssumeRoleWithWebIdentity (the person's own OIDC ID token)"),
]
# Methods this version cannot issue yet; clean() and the grants file refuse them, naming why.
UNSUPPORTED_METHODS: dict[str, str] = {}
# Methods that reach an IAM role (and need its ARN); federation_token is the only other.
ROLE_METHODS = (ASSUME_ROLE, SAML, WEB_IDENTITY)


def default_method(arn: str) -> str:
    """The method a role has when none is given: the contract's default."""
    return ASSUME_ROLE if arn else FEDERATION_TOKEN


def unsupported_method(method: str) -> str:
    return f"not supported by this version ({method}: {UNSUPPORTED_METHODS[method]} are not built yet)"


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
    saml_provider_arn = models.CharField(
        "SAML provider ARN",
        max_length=2048,
        blank=True,
        help_text="The IAM SAML provider that trusts this broker's signing certificate "
        "(arn:aws:iam::<account>:saml-provider/<name>); needed by saml roles. "
        "`manage.py awssamlprovider` creates it.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "AWS account"

    def __str__(self) -> str:
        return f"{self.name} ({self.account_id})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.admin_role_arn:
            match = ROLE_ARN.match(self.admin_role_arn)
            if match is None or match["account"] != self.account_id:
                errors["admin_role_arn"] = (
                    f"Give an IAM role ARN in this account (arn:aws:iam::{self.account_id}:role/Name)."
                )
        if self.saml_provider_arn:
            problem = self.saml_provider_problem(self.saml_provider_arn)
            if problem:
                errors["saml_provider_arn"] = problem
        if errors:
            raise ValidationError(errors)

    def saml_provider_problem(self, provider_arn: str) -> str | None:
        """Why ``provider_arn`` cannot be this account's SAML provider, or ``None``.

        AWS refuses an assertion whose Role pair names a provider in another
        account or partition than the role, so a mismatch is refused here.
        """
        match = SAML_PROVIDER_ARN.match(provider_arn)
        example = f"arn:{self.partition or 'aws'}:iam::{self.account_id}:saml-provider/Name"
        if match is None:
            return f"Not an IAM SAML provider ARN ({example}; the name is 1 to 128 of [A-Za-z0-9._-])."
        if match["account"] != self.account_id:
            return f"The ARN names account {match['account']}, not {self.account_id} ({example})."
        if self.partition and match["partition"] != self.partition:
            return f"The ARN is in partition {match['partition']}, the account in {self.partition}."
        return None


class Role(models.Model):
    alias = models.SlugField(max_length=64, unique=True, help_text="Short name used in URLs and the API.")
    account = models.ForeignKey(AwsAccount, on_delete=models.PROTECT, related_name="roles")
    arn = models.CharField(
        "role ARN",
        max_length=2048,
        blank=True,
        help_text="Set for AssumeRole, saml and web identity roles; leave empty for GetFederationToken.",
    )
    method = models.CharField(
        max_length=20,
        choices=METHODS,
        blank=True,
        help_text="How the broker obtains the session. Empty: assume_role when a role ARN is set, "
        "else federation_token. saml needs the account's SAML provider ARN and no AWS keys in the broker.",
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

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.method = self.method or default_method(self.arn)
        super().save(*args, **kwargs)

    @property
    def name(self) -> str:
        """The IAM role's own name, or the alias for a federation-token role."""
        return self.arn.rsplit("/", 1)[-1] if self.arn else self.alias

    @property
    def partition(self) -> Partition:
        return PARTITIONS[self.account.partition]

    def clean(self) -> None:
        self.method = self.method or default_method(self.arn)
        errors: dict[str, Any] = self._method_errors()
        if self.method == WEB_IDENTITY and self.session_tags:
            # AssumeRoleWithWebIdentity takes tags only from the ID token's https://aws.amazon.com/tags claim.
            errors["session_tags"] = "Web identity sessions take tags from the ID token, not from the broker."
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
                errors["max_session_seconds"] = f"Role sessions last at most {MAX_ASSUME_ROLE_SECONDS} s."
        if self.federation_policy and "federation_policy" not in errors:
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

    def _method_errors(self) -> dict[str, str]:
        """What the method needs: an ARN or a policy, and for saml the account's provider."""
        if self.method in UNSUPPORTED_METHODS:
            return {"method": f"The method is {unsupported_method(self.method)}."}
        if self.method == FEDERATION_TOKEN:
            if self.arn or not self.federation_policy:
                return {"arn": "A federation_token role has a federation policy and no role ARN."}
            return {}
        if not self.arn:
            return {"arn": f"A {self.method} role needs a role ARN (or use federation_token with a policy)."}
        if self.federation_policy:
            return {"federation_policy": "Only federation_token roles take a federation policy."}
        if self.method == SAML and self.account_id and not self.account.saml_provider_arn:
            return {
                "method": f"A saml role needs its account ({self.account.account_id}) to have a SAML "
                "provider ARN (the IAM SAML provider that trusts this broker)."
            }
        return {}


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
            limit = self.role.max_session_seconds
            errors["session_seconds"] = f"The role allows at most {limit / 3600:g} h ({limit} s)."
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


# Favourite and recent roles (the portal's shortcuts) live in their own package;
# imported here so Django finds them.
from federation.shortcuts.models import FavouriteRole, RecentRole  # noqa: E402,F401
