"""The person's ID token and refresh token, sealed in their session, and kept alive.

A web-identity role is assumed with the person's own ID token, so it stays
server-side for the session: sealed (``broker.sealing``, AES-GCM under
``BROKER_ENCRYPTION_KEYS``) with the user's id as associated data, so a
database reader sees ciphertext and a blob copied into another user's
session does not open. When it is (nearly) expired it is refreshed with the
refresh token if the provider gave one; the new ID token passes the same
checks and must name the same person. Otherwise ``SignInAgain``.

The broker's session is bounded by the ID token's lifetime when the
provider gave no refresh token: nothing could renew it.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from broker import sealing
from broker.oidc import client, idtoken
from broker.oidc.errors import OidcRefused, SignInAgain

log = logging.getLogger(__name__)

SESSION_KEY = "oidc_tokens"
REFRESH_MARGIN_SECONDS = 120  # a token with less life than this is refreshed before AWS sees it


def _aad(user_id: Any) -> bytes:
    return f"oidc-tokens:{settings.OIDC_ISSUER}:{user_id}".encode()


def _seal(data: dict[str, Any], user_id: Any) -> str:
    return base64.b64encode(sealing.seal(json.dumps(data).encode(), aad=_aad(user_id))).decode()


def kept(session: Any, user_id: Any) -> dict[str, Any] | None:
    """What ``keep`` sealed into this session for this user, or None."""
    blob = session.get(SESSION_KEY)
    if not blob:
        return None
    try:
        return json.loads(sealing.unseal(base64.b64decode(blob), aad=_aad(user_id)))
    except (sealing.SealError, ValueError):
        log.warning("OIDC tokens in a session did not open; the person must sign in again")
        return None


def _open(request: HttpRequest) -> dict[str, Any] | None:
    return kept(request.session, request.user.pk)


def keep(request: HttpRequest, *, user_id: Any, token: dict[str, Any], claims: dict[str, Any]) -> None:
    """Seal the tokens into the (already rotated) session and bound it when nothing can renew it."""
    refresh_token = token.get("refresh_token") or ""
    data = {
        "id_token": token["id_token"],
        "exp": claims["exp"],
        "sub": claims["sub"],
        "refresh": refresh_token,
    }
    request.session[SESSION_KEY] = _seal(data, user_id)
    if not refresh_token:
        ends = min(time.time() + settings.SESSION_COOKIE_AGE, float(claims["exp"]))
        request.session.set_expiry(datetime.fromtimestamp(ends, tz=UTC))


def end_session_hint(request: HttpRequest) -> str:
    """The ID token to name in RP-initiated logout, if the session holds one."""
    data = _open(request)
    return data["id_token"] if data else ""


def _refreshed(request: HttpRequest, data: dict[str, Any]) -> str:
    try:
        token = client.refresh(data["refresh"])
        claims = idtoken.verify(token.get("id_token", ""), nonce=None)
    except OidcRefused as exc:
        log.info("OIDC refresh failed (%s): %s", exc.check, exc.detail)
        raise SignInAgain(f"your {settings.OIDC_DISPLAY_NAME} sign-in has expired; sign in again") from None
    if claims["sub"] != data["sub"]:
        raise SignInAgain("the provider answered for another person; sign in again")
    token.setdefault("refresh_token", data["refresh"])  # providers that do not rotate it
    keep(request, user_id=request.user.pk, token=token, claims=claims)
    return token["id_token"]


def id_token(request: HttpRequest) -> str:
    """A live ID token for this session: the kept one, or a refreshed one, or ``SignInAgain``."""
    data = _open(request)
    if data is None:
        raise SignInAgain(f"this role needs a sign-in with {settings.OIDC_DISPLAY_NAME}")
    if float(data["exp"]) - time.time() > REFRESH_MARGIN_SECONDS:
        return data["id_token"]
    if not data.get("refresh"):
        raise SignInAgain(f"your {settings.OIDC_DISPLAY_NAME} sign-in has expired; sign in again")
    return _refreshed(request, data)


def source(request: HttpRequest) -> Callable[[], str] | None:
    """What a web-identity role calls for the person's ID token; None when this sign-in has none."""
    if SESSION_KEY not in request.session:
        return None
    return lambda: id_token(request)
