"""The provider's discovery document and signing keys, cached, fetched with short timeouts.

Discovery is re-read hourly. The JWKS is kept until a token names a key id
it does not hold: then it is fetched again at once (a provider rotating its keys
publishes the new one before signing with it), and then not again for
``REFETCH_SECONDS``, so a flood of forged key ids cannot turn the broker into
a JWKS hammer. A provider that is down or slow fails the sign-in within
``OIDC_TIMEOUT_SECONDS`` per request, with a page that says so.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from broker.oidc.errors import OidcRefused

log = logging.getLogger(__name__)

DISCOVERY_SECONDS = 3600
JWKS_SECONDS = 3600
REFETCH_SECONDS = 10
MAX_DOCUMENT_BYTES = 512 * 1024

_lock = threading.Lock()
_cache: dict[str, tuple[float, Any]] = {}


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""


def reset() -> None:
    """Forget the cached discovery document and keys (tests; a restart does the same)."""
    with _lock:
        _cache.clear()


def timeout() -> tuple[float, float]:
    seconds = settings.OIDC_TIMEOUT_SECONDS
    return (min(3, seconds), seconds)


def unreachable(exc: Exception) -> OidcRefused:
    log.warning("OIDC provider unreachable: %s", type(exc).__name__)
    return OidcRefused(
        "provider", f"{settings.OIDC_DISPLAY_NAME} is not answering; try again in a moment", status=503
    )


def get_json(url: str, **kwargs: Any) -> dict[str, Any]:
    """A JSON document from the provider, within the timeout, or ``OidcRefused``."""
    try:
        answer = requests.get(url, timeout=timeout(), allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        raise unreachable(exc) from None
    if answer.status_code != 200 or len(answer.content) > MAX_DOCUMENT_BYTES:
        log.warning("OIDC provider answered %s for %s", answer.status_code, url)
        raise OidcRefused(
            "provider", f"{settings.OIDC_DISPLAY_NAME} answered {answer.status_code}", status=503
        )
    try:
        body = answer.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise OidcRefused("provider", "the provider answered something that is not a JSON object", status=503)
    return body


def _cached(name: str, ttl: float) -> Any:
    with _lock:
        found = _cache.get(name)
    return found[1] if found and time.monotonic() - found[0] < ttl else None


def _keep(name: str, value: Any) -> Any:
    with _lock:
        _cache[name] = (time.monotonic(), value)
    return value


def metadata() -> Metadata:
    found = _cached("metadata", DISCOVERY_SECONDS)
    if found is not None:
        return found
    issuer = settings.OIDC_ISSUER
    body = get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    if body.get("issuer") != issuer:
        raise OidcRefused("discovery", "the provider's discovery document names another issuer", status=503)
    try:
        found = Metadata(
            issuer=body["issuer"],
            authorization_endpoint=body["authorization_endpoint"],
            token_endpoint=body["token_endpoint"],
            jwks_uri=body["jwks_uri"],
            userinfo_endpoint=body.get("userinfo_endpoint") or "",
            end_session_endpoint=body.get("end_session_endpoint") or "",
        )
    except KeyError as exc:
        raise OidcRefused("discovery", f"the discovery document lacks {exc.args[0]}", status=503) from None
    return _keep("metadata", found)


def _fetch_keys() -> KeySet:
    body = get_json(metadata().jwks_uri)
    try:
        keys = KeySet.import_key_set(
            {"keys": [k for k in body.get("keys", []) if k.get("use", "sig") == "sig"]}
        )
    except (JoseError, ValueError, TypeError, AttributeError):
        raise OidcRefused("jwks", "the provider's key set cannot be read", status=503) from None
    return _keep("jwks", keys)


def _kids(keys: KeySet) -> set[str]:
    return {key.kid for key in keys.keys if key.kid}


def keys(kid: str | None) -> KeySet:
    """The provider's signing keys, fetched again when ``kid`` is not among them.

    Forced fetches are spaced by ``REFETCH_SECONDS``: the first unknown key id
    after a rotation is fetched at once, a flood of forged ones costs one fetch.
    """
    found = _cached("jwks", JWKS_SECONDS)
    if found is None:
        return _fetch_keys()
    if kid is None or kid in _kids(found):
        return found
    if _cached("forced", REFETCH_SECONDS) is not None:
        return found
    _keep("forced", True)
    log.info("OIDC: key id %r not in the cached JWKS; fetching it again", kid[:40])
    return _fetch_keys()
