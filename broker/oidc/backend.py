"""The authentication backend OIDC sign-ins are recorded under.

It authenticates nothing itself (the callback checks the ID token, then calls
``login()`` naming this backend); it exists so sessions and the audit trail
say "OidcBackend", and so a password can never sign in through it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

PATH = "broker.oidc.backend.OidcBackend"


class OidcBackend(ModelBackend):
    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ):  # type: ignore[no-untyped-def]
        return None
