"""Every check an ID token must pass before the broker believes a word of it.

In order, each refusal naming its check: the header parses (``malformed``);
its ``alg`` is on the allow-list, which holds asymmetric algorithms only, so
``none`` and HS256 signed with the provider's public key are refused before
any key is touched (``algorithm``); the key id is in the provider's JWKS,
fetched again once if not (``key``); the signature verifies with that key
(``signature``); ``iss`` is the configured issuer (``issuer``); ``aud``
holds our client id and, when it holds several, ``azp`` names us
(``audience``, ``azp``); ``exp`` is in the future and ``iat`` not, within
``OIDC_CLOCK_SKEW_SECONDS`` (``expired``, ``issued_at``); ``nonce`` is the
one this browser's sign-in sent (``nonce``); ``sub`` is present (``subject``).
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from django.conf import settings
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact

from broker.oidc import provider
from broker.oidc.errors import OidcRefused


def header(id_token: str) -> dict[str, Any]:
    try:
        return dict(extract_compact(id_token.encode("ascii")).protected)
    except (JoseError, ValueError, UnicodeError, TypeError):
        raise OidcRefused("malformed", "the ID token is not a signed JWT") from None


def signed_claims(id_token: str) -> dict[str, Any]:
    """The token's claims once its algorithm, key and signature are accepted."""
    head = header(id_token)
    alg = head.get("alg")
    if alg not in settings.OIDC_ALGORITHMS:
        raise OidcRefused("algorithm", f"the ID token's algorithm {str(alg)[:20]!r} is not allowed")
    kid = head.get("kid")
    keys = provider.keys(kid if isinstance(kid, str) else None)
    if isinstance(kid, str) and not any(key.kid == kid for key in keys.keys):
        raise OidcRefused("key", "the ID token is signed with a key the provider does not publish")
    try:
        token = jwt.decode(id_token, keys, algorithms=[alg])
    except (JoseError, ValueError, TypeError):
        raise OidcRefused("signature", "the ID token's signature does not verify") from None
    return dict(token.claims)


def _check_audience(claims: dict[str, Any]) -> None:
    client_id = settings.OIDC_CLIENT_ID
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id not in audiences:
        raise OidcRefused("audience", "the ID token was not issued to this broker")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise OidcRefused("azp", "the ID token was issued to another party (azp)")


def _check_times(claims: dict[str, Any], now: float) -> None:
    skew = settings.OIDC_CLOCK_SKEW_SECONDS
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or now > exp + skew:
        raise OidcRefused("expired", "the ID token has expired; sign in again")
    if not isinstance(iat, int | float) or iat > now + skew:
        raise OidcRefused("issued_at", "the ID token claims to be issued in the future; check clocks")


def check_claims(claims: dict[str, Any], *, nonce: str | None, now: float | None = None) -> None:
    if claims.get("iss") != settings.OIDC_ISSUER:
        raise OidcRefused("issuer", "the ID token comes from another issuer")
    _check_audience(claims)
    _check_times(claims, time.time() if now is None else now)
    if nonce is not None:
        sent = claims.get("nonce")
        if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), nonce.encode()):
            raise OidcRefused("nonce", "the ID token does not answer this browser's sign-in (nonce)")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OidcRefused("subject", "the ID token names no subject")


def verify(id_token: str, *, nonce: str | None) -> dict[str, Any]:
    """The claims of a valid ID token; ``nonce`` None only for a refreshed token."""
    if not isinstance(id_token, str) or not id_token:
        raise OidcRefused("malformed", "the provider sent no ID token")
    claims = signed_claims(id_token)
    check_claims(claims, nonce=nonce)
    return claims
