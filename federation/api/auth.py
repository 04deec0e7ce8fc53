"""Bearer-token authentication for the API, as people and AWS SDKs send it.

``Authorization: Bearer brk_...`` from scripts, and the bare token from AWS
SDKs (``AWS_CONTAINER_AUTHORIZATION_TOKEN`` is sent as the header's whole
value). Verification is ``broker.tokens`` for API tokens and
``broker.cliauth.tokens`` for the CLI's OAuth access tokens (``brka_...``,
acting as the person who signed in); this class only adapts them to DRF.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from broker import tokens
from broker.cliauth import tokens as cli_tokens
from broker.netaddr import client_ip
from federation.api.errors import ApiError

REALM = 'Bearer realm="aws-identity-broker"'


def raw_token(header: str) -> str:
    scheme, _, rest = header.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" else header.strip()


class TokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[tokens.Caller, None] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.strip():
            return None
        raw = raw_token(header)
        verify = cli_tokens.verify if cli_tokens.looks_like(raw) else tokens.verify
        try:
            caller = verify(raw, source_ip=client_ip(request))
        except tokens.TokenRefused as refused:
            raise ApiError(refused.status, refused.code, str(refused)) from None
        return caller, None

    def authenticate_header(self, request: Request) -> str:
        return REALM


class TokenScheme(OpenApiAuthenticationExtension):
    """Describe the token to the OpenAPI document."""

    target_class = "federation.api.auth.TokenAuthentication"
    name = "brokerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API token (brk_...) or an awsbroker CLI access token (brka_...): "
                "'Bearer <token>', or the bare token as AWS SDKs send it."
            ),
        }
