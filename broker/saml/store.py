"""Short-lived SAML records in Redis (through the Django cache), each usable once.

- A *flow*: the AuthnRequest ID and ``next`` of one SP-initiated sign-in,
  keyed by the RelayState we issued. The IdP's POST to the ACS is cross-site,
  so SameSite cookies do not come with it; the RelayState does.
- A *used assertion ID*, kept until the assertion's last NotOnOrAfter (plus
  python3-saml's clock drift), so a captured response cannot be replayed,
  also not after a restart or on another worker.
- A *pending sign-in*: a validated identity handed from the cross-site ACS
  POST to the same-site hop that can see this browser's session.
- A *logout flow* (a flow whose request is a LogoutRequest) and a *used
  LogoutRequest ID* (single logout, ``broker.saml.logout``).

Redis being unreachable refuses the sign-in: a replay check that cannot be
made is not passed.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import caches
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from redis.exceptions import RedisError

from broker.saml.errors import SamlRefused

FLOW_SECONDS = 600
PENDING_SECONDS = 120
# Without any NotOnOrAfter (python3-saml requires one, so only as a floor).
MIN_REPLAY_SECONDS = 600
# LogoutRequest IDs: python3-saml checks a NotOnOrAfter only when the IdP sets one.
LOGOUT_REPLAY_SECONDS = 24 * 3600
TOKEN_BYTES = 32


def _cache():  # type: ignore[no-untyped-def]
    return caches[settings.SAML_CACHE_ALIAS]


def _key(kind: str, secret: str) -> str:
    # Tokens are secrets: Redis holds only their hash.
    return f"saml:{kind}:{hashlib.sha256(secret.encode()).hexdigest()}"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def looks_like_token(value: str) -> bool:
    return len(value) == 43 and all(c.isalnum() or c in "-_" for c in value)


def _take(key: str, check: str) -> Any | None:
    """Read and delete; only the caller whose delete succeeded gets the value."""
    try:
        value = _cache().get(key)
        if value is None or not _cache().delete(key):
            return None
        return value
    except (RedisError, OSError):
        raise SamlRefused(check, "the sign-in store (Redis) is unavailable; try again shortly") from None


def _put(key: str, value: Any, seconds: int, check: str) -> None:
    try:
        _cache().set(key, value, timeout=seconds)
    except (RedisError, OSError):
        raise SamlRefused(check, "the sign-in store (Redis) is unavailable; try again shortly") from None


def save_flow(relay: str, *, request_id: str, next_url: str) -> None:
    _put(_key("flow", relay), {"request_id": request_id, "next": next_url}, FLOW_SECONDS, "store")


def take_flow(relay: str) -> dict[str, str] | None:
    return _take(_key("flow", relay), "store")


def stash_pending(payload: dict[str, Any]) -> str:
    token = new_token()
    _put(_key("pending", token), payload, PENDING_SECONDS, "store")
    return token


def take_pending(token: str) -> dict[str, Any] | None:
    return _take(_key("pending", token), "store")


def _seconds_left(times: list[str]) -> int:
    now = datetime.now(UTC)
    latest = max((datetime.fromisoformat(t.replace("Z", "+00:00")) for t in times), default=None)
    left = int((latest - now).total_seconds()) if latest else 0
    return max(left + OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT + 1, MIN_REPLAY_SECONDS)


def mark_assertion_used(assertion_id: str, *, not_on_or_after: list[str]) -> None:
    """Record the assertion ID, refusing it when it was recorded before."""
    if not assertion_id:
        raise SamlRefused("replay", "the assertion has no ID")
    key = f"saml:assertion:{hashlib.sha256(assertion_id.encode()).hexdigest()}"
    try:
        first = _cache().add(key, 1, timeout=_seconds_left(not_on_or_after))
    except (RedisError, OSError):
        raise SamlRefused("replay", "the replay store (Redis) is unavailable; sign-in refused") from None
    except ValueError:
        raise SamlRefused("replay", "the assertion's NotOnOrAfter is not a time") from None
    if not first:
        raise SamlRefused("replay", "this assertion was already used")


def mark_logout_used(message_id: str) -> None:
    """Record an IdP LogoutRequest's ID, refusing it when it was recorded before."""
    if not message_id:
        raise SamlRefused("replay", "the logout request has no ID")
    try:
        first = _cache().add(_key("logout", message_id), 1, timeout=LOGOUT_REPLAY_SECONDS)
    except (RedisError, OSError):
        raise SamlRefused("replay", "the replay store (Redis) is unavailable; logout refused") from None
    if not first:
        raise SamlRefused("replay", "this logout request was already used")
