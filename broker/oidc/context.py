"""Template context: whether to offer "Sign in with <OIDC_DISPLAY_NAME>", and how to sign out."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpRequest

from broker.oidc import config
from broker.oidc.backend import PATH


def oidc(request: HttpRequest) -> dict[str, object]:
    session = getattr(request, "session", None)
    return {
        "oidc_enabled": config.enabled(),
        "oidc_display_name": settings.OIDC_DISPLAY_NAME,
        "oidc_signed_in": bool(session is not None and session.get(BACKEND_SESSION_KEY) == PATH),
    }
