"""Template context: whether to offer "Sign in with SSO"."""

from __future__ import annotations

from django.http import HttpRequest

from broker.saml import config


def sso(request: HttpRequest) -> dict[str, bool]:
    return {"saml_enabled": config.enabled()}
