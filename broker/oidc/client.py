"""The Authlib client: the authorization URL (PKCE S256), the code exchange, refresh and userinfo.

Authlib is the maintained library under the relying party (see the README on
why Authlib rather than mozilla-django-oidc). Every call has the provider's
short timeout; a provider that refuses is a refusal naming the check, one
that does not answer a 503 page, never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings

from broker.oidc import config, provider
from broker.oidc.errors import OidcRefused

log = logging.getLogger(__name__)


def session() -> OAuth2Session:
    return OAuth2Session(
        client_id=settings.OIDC_CLIENT_ID,
        client_secret=settings.OIDC_CLIENT_SECRET or None,
        scope=config.scopes(),
        redirect_uri=config.redirect_uri(),
        code_challenge_method="S256",
        token_endpoint_auth_method="none" if config.public_client() else "client_secret_basic",
    )


def authorization_url(*, state: str, nonce: str, verifier: str) -> str:
    url, _ = session().create_authorization_url(
        provider.metadata().authorization_endpoint, state=state, nonce=nonce, code_verifier=verifier
    )
    return url


def _token_call(call: Any, check: str, **params: Any) -> dict[str, Any]:
    try:
        token = call(timeout=provider.timeout(), **params)
    except OAuthError as exc:
        log.info("OIDC token endpoint refused (%s): %s", check, exc.error)
        raise OidcRefused(check, f"the provider refused: {exc.error}") from None
    except requests.RequestException as exc:
        raise provider.unreachable(exc) from None
    except ValueError:
        raise OidcRefused(
            check, "the token endpoint answered something that is not JSON", status=503
        ) from None
    return dict(token)


def exchange(*, code: str, verifier: str) -> dict[str, Any]:
    """Trade the code (with the PKCE verifier) for tokens; a used or foreign code is refused."""
    oauth = session()
    return _token_call(
        oauth.fetch_token,
        "code",
        url=provider.metadata().token_endpoint,
        code=code,
        code_verifier=verifier,
        grant_type="authorization_code",
    )


def refresh(refresh_token: str) -> dict[str, Any]:
    oauth = session()
    return _token_call(
        oauth.refresh_token, "refresh", url=provider.metadata().token_endpoint, refresh_token=refresh_token
    )


def userinfo(access_token: str) -> dict[str, Any]:
    endpoint = provider.metadata().userinfo_endpoint
    if not endpoint:
        return {}
    return provider.get_json(endpoint, headers={"Authorization": f"Bearer {access_token}"})
