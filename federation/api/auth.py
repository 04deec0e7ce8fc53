"""Bearer-token authentication for the API, as people and AWS SDKs send it.

``Authorization: Bearer brk_...`` from scripts, and the bare token from AWS
SDKs (``AWS_CONTAINER_AUTHORIZATION_TOKEN`` is sent as the header's whole
value). Verification is ``broker.apitokens.tokens``; this class only adapts
it to DRF. Before any token is looked up, an address over its limit of
failed authentications is refused with 429 (``broker.apitokens.failures``),
and every refusal is counted there, to be audited once per address and window.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from broker.apitokens import failures, tokens
from broker.netaddr import client_ip
from federation.api.errors import REALM, ApiError, TooManyFailures


def raw_token(header: str) -> str:
    scheme, _, rest = header.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" else header.strip()


class TokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[tokens.Caller, None] | None:
        source_ip = client_ip(request)
        wait = failures.limited(source_ip)
        if wait is not None:
            raise TooManyFailures(wait)
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.strip():
            return None  # no token: the permission check answers 401, and the error handler counts it
        try:
            caller = tokens.verify(raw_token(header), source_ip=source_ip)
        except tokens.TokenRefused as refused:
            failures.refused(source_ip, token=refused.token, reason=refused.code)
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
            "description": "An API token (brk_...): 'Bearer <token>', or the bare token as AWS SDKs send it.",
        }
