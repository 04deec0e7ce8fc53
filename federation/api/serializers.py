"""Request bodies (validated) and response shapes (for the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from federation.models import MAX_FEDERATION_TOKEN_SECONDS, METHODS, MIN_SESSION_SECONDS
from federation.policies import PolicyError, parse_policy


class _Duration(serializers.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            required=False,
            min_value=MIN_SESSION_SECONDS,
            max_value=MAX_FEDERATION_TOKEN_SECONDS,
            help_text="Session length in seconds; the grant's default when absent.",
            **kwargs,
        )


class SessionRequest(serializers.Serializer):
    role = serializers.SlugField(max_length=64, help_text="A role alias from GET /api/v1/roles/.")
    duration_seconds = _Duration()
    policy = serializers.JSONField(
        required=False,
        help_text="Optional session policy (object or JSON text) narrowing an AssumeRole role further.",
    )

    def validate_policy(self, value: Any) -> dict[str, Any]:
        try:
            return parse_policy(value)
        except PolicyError as exc:
            raise serializers.ValidationError(str(exc)) from None


class ConsoleRequest(serializers.Serializer):
    role = serializers.SlugField(max_length=64)
    destination = serializers.CharField(
        max_length=2048,
        required=False,
        allow_blank=True,
        help_text="Console page to open (an allowed console URL); the console's home when empty.",
    )
    duration_seconds = _Duration()


class Role(serializers.Serializer):
    alias = serializers.CharField()
    arn = serializers.CharField(help_text="Empty for a federation-token role.")
    account_id = serializers.CharField()
    account_name = serializers.CharField()
    method = serializers.ChoiceField(choices=[name for name, _ in METHODS])
    max_session_seconds = serializers.IntegerField()


class Session(serializers.Serializer):
    AccessKeyId = serializers.CharField()
    SecretAccessKey = serializers.CharField()
    SessionToken = serializers.CharField()
    Expiration = serializers.DateTimeField(help_text="RFC 3339, UTC.")
    Arn = serializers.CharField()


class ContainerCredentials(serializers.Serializer):
    AccessKeyId = serializers.CharField()
    SecretAccessKey = serializers.CharField()
    Token = serializers.CharField()
    Expiration = serializers.DateTimeField()
    RoleArn = serializers.CharField()


class ProcessCredentials(serializers.Serializer):
    Version = serializers.IntegerField()
    AccessKeyId = serializers.CharField()
    SecretAccessKey = serializers.CharField()
    SessionToken = serializers.CharField()
    Expiration = serializers.DateTimeField()


class ConsoleUrl(serializers.Serializer):
    url = serializers.URLField(help_text="One-time console sign-in URL, valid 15 minutes. A secret.")
    expires_at = serializers.DateTimeField()
    session_expires_at = serializers.DateTimeField()


class Error(serializers.Serializer):
    error = serializers.CharField(
        help_text="A stable, machine-readable code, e.g. `role_not_available`, `mfa_required` (403: the "
        "role's grants want a second factor this caller has not shown), `invalid_token`, `throttled`."
    )
    detail = serializers.CharField()
