"""The SAML URLs: thin views over ``config``, ``response``, ``store`` and ``mapping``.

The IdP's POST to ``/saml/acs/`` is cross-site, so with SameSite=Lax the
browser sends no session cookie with it. The ACS therefore finds its request
by RelayState (server-side, in Redis), runs every check, and then sends the
browser with a 303 to ``/saml/complete/``: a same-site GET that does carry the
session, where the sign-in is tied to the browser that started it.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from onelogin.saml2.auth import OneLogin_Saml2_Auth

from broker import audit
from broker.mfa import policy, stepup
from broker.models import AuditEvent
from broker.saml import config, logout, response, store
from broker.saml.config import SamlNotConfigured
from broker.saml.errors import SamlRefused
from broker.saml.mapping import Identity, mapper

log = logging.getLogger(__name__)

BACKEND = "broker.saml.backend.SamlBackend"
SESSION_FLOWS = "saml_flows"
MAX_FLOWS = 5  # sign-ins one browser may have under way at once (several tabs)


def _digest(relay: str) -> str:
    return hashlib.sha256(relay.encode()).hexdigest()


def _no_store(answer: HttpResponse) -> HttpResponse:
    answer["Cache-Control"] = "no-store"
    return answer


def refused(request: HttpRequest, exc: SamlRefused) -> HttpResponse:
    """A 400 naming the check, and an audit event; JSON for callers that prefer it."""
    fields: dict[str, Any] = {"outcome": "denied", "check": exc.check, "reason": exc.detail}
    if exc.actor:
        fields["actor"] = exc.actor
    audit.record_request(AuditEvent.Action.SAML_REFUSED, request, **fields)
    log.info("SAML refused: %s: %s", exc.check, exc.detail)
    if request.get_preferred_type(["text/html", "application/json"]) == "application/json":
        answer: HttpResponse = JsonResponse(
            {"error": "saml_refused", "check": exc.check, "detail": exc.detail}, status=400
        )
    else:
        answer = render(request, "saml/refused.html", {"check": exc.check, "detail": exc.detail}, status=400)
    return _no_store(answer)


def _configuration_refused(request: HttpRequest, exc: SamlNotConfigured) -> HttpResponse:
    log.error("SAML configuration: %s", exc)
    return refused(request, SamlRefused("configuration", "single sign-on is not configured correctly"))


def _require_enabled() -> None:
    if not config.enabled():
        raise Http404("SAML is off")


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    _require_enabled()
    saml_settings = config.saml_settings(sp_only=True)
    xml = saml_settings.get_sp_metadata()
    return HttpResponse(xml, content_type="application/samlmetadata+xml")


def _remember(request: HttpRequest, relay: str) -> None:
    flows = [*request.session.get(SESSION_FLOWS, []), _digest(relay)]
    request.session[SESSION_FLOWS] = flows[-MAX_FLOWS:]


@require_GET
def login(request: HttpRequest) -> HttpResponse:
    """SP-initiated sign-in: an AuthnRequest to the IdP, its ID kept under a fresh RelayState."""
    _require_enabled()
    try:
        next_url = response.safe_next(request.GET.get("next"))
        auth = OneLogin_Saml2_Auth(config.request_data(config.LOGIN_PATH), config.saml_settings())
        relay = store.new_token()
        # force=1 (a step-up for a SAML session): ForceAuthn, so the IdP asks again.
        url = auth.login(return_to=relay, force_authn=request.GET.get("force") == "1")
        store.save_flow(relay, request_id=auth.get_last_request_id(), next_url=next_url)
    except SamlRefused as exc:
        return refused(request, exc)
    except SamlNotConfigured as exc:
        return _configuration_refused(request, exc)
    _remember(request, relay)
    return _no_store(HttpResponseRedirect(url))


def _posted(request: HttpRequest) -> tuple[str, str]:
    limit = settings.SAML_MAX_RESPONSE_BYTES * 2
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise SamlRefused("size", f"the request is larger than {limit} bytes")
    try:
        return request.POST.get("SAMLResponse", ""), request.POST.get("RelayState", "")
    except RequestDataTooBig:
        raise SamlRefused("size", "the request is too large") from None


@csrf_exempt  # a cross-site POST from the IdP by design; the signed response is the proof
@require_POST
def acs(request: HttpRequest) -> HttpResponse:
    _require_enabled()
    try:
        accepted = response.accept(*_posted(request))
        token = store.stash_pending(
            {
                "identity": accepted.identity.to_json(),
                "next": accepted.next_url,
                "relay": _digest(accepted.relay) if accepted.relay else "",
            }
        )
    except SamlRefused as exc:
        return refused(request, exc)
    except SamlNotConfigured as exc:
        return _configuration_refused(request, exc)
    answer = HttpResponseRedirect(f"{reverse('saml-complete')}?token={token}", status=303)
    answer["Referrer-Policy"] = "no-referrer"
    return _no_store(answer)


def _pending(request: HttpRequest) -> dict[str, Any]:
    token = request.GET.get("token", "")
    pending = store.take_pending(token) if store.looks_like_token(token) else None
    if pending is None:
        raise SamlRefused("handoff", "this sign-in is unknown, expired or already used; start again")
    return pending


@require_GET
def complete(request: HttpRequest) -> HttpResponse:
    """The same-site hop: tie the sign-in to the browser that asked for it, then sign in."""
    try:
        pending = _pending(request)
        identity = Identity.from_json(pending["identity"])
        flows = request.session.get(SESSION_FLOWS, [])
        if pending["relay"] and pending["relay"] not in flows:
            raise SamlRefused(
                "browser",
                "this response answers a sign-in started in another browser",
                actor=identity.username,
            )
        user = mapper().user_for(identity)
    except SamlRefused as exc:
        return refused(request, exc)
    user.backend = BACKEND  # read by the sign-in audit receiver
    auth_login(request, user, backend=BACKEND)  # rotates the session key; audited by broker.signals
    request.session[SESSION_FLOWS] = [f for f in flows if f != pending["relay"]]
    request.session[logout.NAME_ID] = identity.name_id
    request.session[logout.SESSION_INDEX] = identity.session_index
    stepup.mark_verified(request, policy.IDP)  # the IdP's MFA, just now: counts for step-up
    return _no_store(HttpResponseRedirect(pending["next"]))


@require_GET
def sls(request: HttpRequest) -> HttpResponse:
    """Single logout from the IdP (HTTP-Redirect): its LogoutRequest, or its answer to ours."""
    _require_enabled()
    try:
        if "SAMLRequest" in request.GET:
            return logout.idp_request(request)
        if "SAMLResponse" in request.GET:
            return logout.idp_response(request)
        raise SamlRefused("malformed", "neither a LogoutRequest nor a LogoutResponse")
    except SamlRefused as exc:
        return refused(request, exc)
    except SamlNotConfigured as exc:
        return _configuration_refused(request, exc)


@require_POST
def portal_logout(request: HttpRequest) -> HttpResponse:
    """The portal's sign-out: always here first, then at the IdP when the session came from it."""
    try:
        url = logout.start(request) if request.user.is_authenticated else ""
    except (SamlRefused, SamlNotConfigured) as exc:  # the IdP cannot be told; the portal still signs out
        log.warning("SAML logout not sent to the IdP: %s", exc)
        url = ""
    auth_logout(request)
    return _no_store(HttpResponseRedirect(url or reverse(settings.LOGOUT_REDIRECT_URL)))
