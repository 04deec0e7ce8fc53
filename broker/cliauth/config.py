"""django-oauth-toolkit's settings for the CLI, and the one client the CLI is.

Read by ``broker/settings.py`` at start-up, so nothing here may import a
model. The choices, each a line below:

- PKCE with S256 is required on every authorization code (``plain`` is refused).
- Redirects go to a loopback address only, on any port (RFC 8252 section 7.3):
  the client's registered URIs are ``http://127.0.0.1/callback`` and
  ``http://[::1]/callback``; the library ignores the port for loopback IPs.
- Access tokens live ``BROKER_CLI_ACCESS_TOKEN_SECONDS`` (15 minutes);
  refresh tokens rotate at each use, and a refresh token used twice revokes
  its whole family (reuse detection). A sign-in ends
  ``BROKER_CLI_SESSION_SECONDS`` after it began (a work day), however often
  it refreshed (``broker.cliauth.validator``).
- Tokens are stored hashed (the library's RFC 9700 token storage), carry a
  recognisable prefix (``brka_`` access, ``brkr_`` refresh) for secret
  scanners and the log redaction, and every RFC 9700 gate is on.
"""

from __future__ import annotations

import secrets
from typing import Any

CLIENT_ID = "awsbroker-cli"
CLIENT_NAME = "awsbroker CLI"
REDIRECT_URIS = "http://127.0.0.1/callback http://[::1]/callback"
SCOPE = "aws"
ACCESS_PREFIX = "brka_"
REFRESH_PREFIX = "brkr_"
DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_TYPES = ["authorization_code", "refresh_token", DEVICE_GRANT_TYPE]
# RFC 8628 section 6.1: no vowels (no words) and no easily confused letters.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


def access_token(request: Any = None) -> str:
    return ACCESS_PREFIX + secrets.token_urlsafe(32)


def refresh_token(request: Any = None) -> str:
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


def user_code() -> str:
    """Eight letters as ``WXYZ-BCDF``: 20^8 (about 2^34.6) codes, guessed at most 10 at a time."""
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def normalise_user_code(typed: str) -> str:
    """What a person typed (any case, spaces, with or without the dash) as the stored form."""
    letters = "".join(ch for ch in typed.upper() if ch.isalnum())
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == 8 else letters


def oauth2_provider_settings(*, access_seconds: int, session_seconds: int) -> dict[str, Any]:
    return {
        "OAUTH2_VALIDATOR_CLASS": "broker.cliauth.validator.CliValidator",
        "SCOPES": {SCOPE: "Get AWS sessions for your roles, as you"},
        "DEFAULT_SCOPES": [SCOPE],
        "ACCESS_TOKEN_EXPIRE_SECONDS": access_seconds,
        "REFRESH_TOKEN_EXPIRE_SECONDS": session_seconds,
        "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
        "ROTATE_REFRESH_TOKEN": True,
        "REFRESH_TOKEN_REUSE_PROTECTION": True,
        "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
        "ACCESS_TOKEN_GENERATOR": "broker.cliauth.config.access_token",
        "REFRESH_TOKEN_GENERATOR": "broker.cliauth.config.refresh_token",
        "PKCE_REQUIRED": True,
        "REQUEST_APPROVAL_PROMPT": "force",
        "ALLOWED_REDIRECT_URI_SCHEMES": ["http"],
        "DEVICE_FLOW_INTERVAL": 5,
        # Made absolute from BROKER_BASE_URL by the device authorization view.
        "OAUTH_DEVICE_VERIFICATION_URI": "/oauth/device/",
        "OAUTH_DEVICE_USER_CODE_GENERATOR": user_code,
        # The broker's validator finds the device grant itself (validate_device_code).
        "OAUTH_PRE_TOKEN_VALIDATION": [],
        "OAUTH2_GRANT_TYPES_SUPPORTED": GRANT_TYPES,
        "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
        "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["none"],
        "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
        "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
        "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
        "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
        "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
        "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
        "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
        "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
        "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
        # http stays allowed for loopback redirects (RFC 8252); checks.py makes sure the
        # client's registered URIs are loopback ones, and W008 is silenced in settings.
        "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": False,
    }
