"""The OIDC URLs: thin views over ``flows``, ``client``, ``idtoken``, ``mapping`` and ``tokens``.

Every refusal is a page (or JSON for callers that ask) naming the check, with
the status that fits (400 bad answer, 403 account not allowed, 503 provider
unreachable) and an ``oidc.refused`` audit event; the session is never
signed in by a refused callback.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from broker import audit
from broker.models import AuditEvent
from broker.oidc import client, config, flows, idtoken, provider, tokens
from broker.oidc.backend import PATH as BACKEND
from broker.oidc.errors import OidcRefused
from broker.oidc.mapping import mapper
from broker.saml.response import safe_next

log = logging.getLogger(__name__)

MFA_SESSION_KEY = "oidc_mfa"


def _no_store(answer: HttpResponse) -> HttpResponse:
    answer["Cache-Control"] = "no-store"
    answer["Referrer-Policy"] = "no-referrer"
    return answer


def refused(request: HttpRequest, exc: OidcRefused) -> HttpResponse:
    fields: dict[str, Any] = {"outcome": "denied", "check": exc.check, "reason": exc.detail, **exc.extra}
    if exc.actor:
        fields["actor"] = exc.actor
    audit.record_request(AuditEvent.Action.OIDC_REFUSED, request, **fields)
    log.info("OIDC refused: %s: %s", exc.check, exc.detail)
    body = {"error": "oidc_refused", "check": exc.check, "detail": exc.detail}
    if request.get_preferred_type(["text/html", "application/json"]) == "application/json":
        return _no_store(JsonResponse(body, status=exc.status))
    return _no_store(render(request, "oidc/refused.html", {**body, "status": exc.status}, status=exc.status))


def _require_enabled() -> None:
    if not config.enabled():
        raise Http404("OpenID Connect is off")


@require_GET
def login(request: HttpRequest) -> HttpResponse:
    """Start the code flow: a fresh state, nonce and PKCE verifier kept in this browser's session."""
    _require_enabled()
    flow = flows.start(request, safe_next(request.GET.get("next")))
    try:
        url = client.authorization_url(state=flow.state, nonce=flow.nonce, verifier=flow.verifier)
    except OidcRefused as exc:
        return refused(request, exc)
    return _no_store(HttpResponseRedirect(url))


def _claims(request: HttpRequest, flow: flows.Flow) -> tuple[dict[str, Any], dict[str, Any]]:
    """The provider's answer checked end to end: (token response, verified claims)."""
    if request.GET.get("error"):
        raise OidcRefused("provider_error", f"the provider said: {request.GET['error'][:80]}")
    sent_iss = request.GET.get("iss")
    if sent_iss is not None and sent_iss != settings.OIDC_ISSUER:  # RFC 9207: mix-up defence
        raise OidcRefused("issuer", "the answer comes from another issuer")
    code = request.GET.get("code", "")
    if not code or len(code) > 2048:
        raise OidcRefused("code", "the provider sent no authorization code")
    token = client.exchange(code=code, verifier=flow.verifier)
    claims = idtoken.verify(token.get("id_token", ""), nonce=flow.nonce)
    return token, _with_userinfo(token, claims)


def _with_userinfo(token: dict[str, Any], claims: dict[str, Any]) -> dict[str, Any]:
    """Ask the userinfo endpoint for the username or groups claim the ID token left out."""
    wanted = {settings.OIDC_USERNAME_CLAIM, settings.OIDC_GROUPS_CLAIM}
    overage = settings.OIDC_GROUPS_CLAIM in (claims.get("_claim_names") or {})  # the mapper says what to do
    if wanted <= claims.keys() or overage or not token.get("access_token"):
        return claims
    info = client.userinfo(token["access_token"])
    if info and info.get("sub") != claims["sub"]:
        raise OidcRefused("userinfo", "the userinfo endpoint answered for another person")
    return {**info, **claims}


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """The redirect URI: check everything, then sign in (rotating the session key)."""
    _require_enabled()
    try:
        flow = flows.take(request, request.GET.get("state", ""))
        if flow is None:
            raise OidcRefused(
                "state", "this answer does not belong to a sign-in started in this browser; start again"
            )
        token, claims = _claims(request, flow)
        the_mapper = mapper()
        identity = the_mapper.identity(claims)
        user = the_mapper.user_for(identity)
    except OidcRefused as exc:
        return refused(request, exc)
    user.backend = BACKEND  # read by the sign-in audit receiver
    auth_login(request, user, backend=BACKEND)  # rotates the session key; audited by broker.signals
    tokens.keep(request, user_id=user.pk, token=token, claims=claims)
    request.session[MFA_SESSION_KEY] = identity.mfa
    return _no_store(HttpResponseRedirect(flow.next_url))


def _end_session_fields(request: HttpRequest) -> tuple[str, list[tuple[str, str]]]:
    try:
        endpoint = provider.metadata().end_session_endpoint
    except OidcRefused:
        return "", []
    fields = [("client_id", settings.OIDC_CLIENT_ID), ("post_logout_redirect_uri", config.base_url_login())]
    hint = tokens.end_session_hint(request)
    return endpoint, ([("id_token_hint", hint)] if hint else []) + fields


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """End the broker session; offer the provider's own sign-out when it has one."""
    endpoint, fields = _end_session_fields(request) if config.enabled() else ("", [])
    auth_logout(request)
    if not endpoint:
        return _no_store(HttpResponseRedirect(reverse("login")))
    context = {"end_session_endpoint": endpoint, "fields": fields}
    return _no_store(render(request, "oidc/signed_out.html", context))
