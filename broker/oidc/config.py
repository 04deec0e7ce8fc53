"""The ``OIDC_*`` settings, and the start-up check that refuses unsafe ones.

The redirect URI comes from ``BROKER_BASE_URL`` and never from the Host
header, so a spoofed Host cannot move where the provider sends the code.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from broker.env import SettingError

CALLBACK_PATH = "/oidc/callback/"
# Symmetric algorithms would let anyone holding the client secret (or, with a
# confused verifier, the provider's public key) mint tokens: never allowed.
ASYMMETRIC = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def redirect_uri() -> str:
    return settings.BROKER_BASE_URL.rstrip("/") + CALLBACK_PATH


def base_url_login() -> str:
    """Where the provider sends the browser after its own sign-out."""
    return settings.BROKER_BASE_URL.rstrip("/") + "/login/"


def scopes() -> str:
    words = settings.OIDC_SCOPES.split()
    return " ".join(words if "openid" in words else ["openid", *words])


def public_client() -> bool:
    return not settings.OIDC_CLIENT_SECRET


def check_settings(*, issuer: str, client_id: str, algorithms: list[str], debug: bool) -> None:
    """Stop start-up with a message naming the setting that cannot work."""
    if not client_id:
        raise SettingError("OIDC_CLIENT_ID is required when OIDC_ISSUER is set")
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SettingError(f"OIDC_ISSUER must be an https URL, not {issuer!r}")
    if parts.scheme == "http" and not debug and parts.hostname not in LOOPBACK:
        raise SettingError("OIDC_ISSUER must use https (plain http only for a loopback test provider)")
    unsafe = sorted(set(algorithms) - ASYMMETRIC)
    if unsafe or not algorithms:
        raise SettingError(
            f"OIDC_ALGORITHMS may list only asymmetric algorithms ({', '.join(sorted(ASYMMETRIC))}); "
            f"refused: {', '.join(unsafe) or 'an empty list'}"
        )
