"""SAML single logout, both directions, over the HTTP-Redirect binding.

- **SP-initiated**: signing out of the portal ends the local session first
  (always, whatever the IdP does), then, for a SAML session whose IdP
  publishes a SingleLogoutService, sends the browser there with a
  LogoutRequest (signed when the SP has a key) naming the NameID and
  SessionIndex of the sign-in. Its ID is kept under a fresh RelayState, so
  the IdP's LogoutResponse is accepted only in answer to it.
- **IdP-initiated**: a LogoutRequest to ``/saml/sls/`` ends every portal
  session of that NameID (only those of the named SessionIndex when it
  names one), also sessions of other browsers (the IdP's redirect may come
  without our cookie), and answers with a LogoutResponse.

Both kinds of message from the IdP are checked as the ACS checks a response:
a signature with the IdP's pinned certificates is required (an unsigned or
wrongly signed message is refused), and python3-saml checks Issuer,
Destination (from ``BROKER_BASE_URL``), NotOnOrAfter and, for responses,
InResponseTo and the status. A LogoutRequest ID is accepted once.
Refusals are 400s naming the check, audited like the ACS's.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import logout as auth_logout
from django.contrib.sessions.models import Session
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request

from broker import audit
from broker.saml import config, store
from broker.saml.errors import SamlRefused

log = logging.getLogger(__name__)

NAME_ID, SESSION_INDEX = "saml_name_id", "saml_session_index"
SIGNED_OUT = "saml.logout"


def idp_slo_url() -> str:
    """The IdP's HTTP-Redirect SingleLogoutService, or "" when its metadata publishes none."""
    if not config.enabled():
        return ""
    return (config.idp_settings().get("singleLogoutService") or {}).get("url", "")


def start(request: HttpRequest) -> str:
    """The IdP logout URL for this session's SAML sign-in, or "" (not SAML, or the IdP has no SLO).

    Call before the local session ends: it reads the NameID from it.
    """
    name_id = request.session.get(NAME_ID)
    if not name_id or not idp_slo_url():
        return ""
    auth = OneLogin_Saml2_Auth(config.request_data(config.SLS_PATH), config.saml_settings())
    relay = store.new_token()
    url = auth.logout(
        return_to=relay, name_id=name_id, session_index=request.session.get(SESSION_INDEX) or None
    )
    store.save_flow(relay, request_id=auth.get_last_request_id(), next_url=reverse("login"))
    return url


def _sessions_of(name_id: str, indexes: list[str]) -> list[str]:
    keys = []
    for row in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = row.get_decoded()
        if data.get(NAME_ID) != name_id:
            continue
        if indexes and data.get(SESSION_INDEX) not in indexes:
            continue
        keys.append(row.session_key)
    return keys


def end_sessions(request: HttpRequest, name_id: str, indexes: list[str]) -> int:
    """End the portal sessions the IdP's LogoutRequest names; this browser's through Django's logout."""
    keys = _sessions_of(name_id, indexes)
    if request.session.session_key in keys:
        keys.remove(request.session.session_key)
        auth_logout(request)  # flushes this session so the middleware does not save it back
        ended = 1
    else:
        ended = 0
    return ended + Session.objects.filter(session_key__in=keys).delete()[0]


def _require_signature(request: HttpRequest) -> None:
    if "Signature" not in request.GET or "SigAlg" not in request.GET:
        raise SamlRefused("signature", "logout messages must be signed")


def _errors(auth: OneLogin_Saml2_Auth) -> None:
    errors = auth.get_errors()
    if not errors:
        return
    reason = auth.get_last_error_reason() or ", ".join(errors)
    check = "signature" if any("signature" in error for error in errors) else "logout"
    raise SamlRefused(check, reason[:300])


def _process(auth: OneLogin_Saml2_Auth, **options: Any) -> str | None:
    try:
        return auth.process_slo(**options)
    except SamlRefused:
        raise
    except Exception as exc:  # python3-saml raises for unreadable messages
        log.info("SAML logout unreadable: %s", type(exc).__name__)
        raise SamlRefused("malformed", "the logout message is not readable") from None


def idp_request(request: HttpRequest) -> HttpResponse:
    """An IdP-initiated LogoutRequest: end the sessions it names, answer with a LogoutResponse."""
    _require_signature(request)
    auth = OneLogin_Saml2_Auth(
        config.request_data(config.SLS_PATH, get=request.GET.dict()), config.saml_settings()
    )
    ended: dict[str, Any] = {}

    def end() -> None:  # called by python3-saml only once the request validated
        xml = OneLogin_Saml2_Logout_Request(auth.get_settings(), request.GET["SAMLRequest"]).get_xml()
        message_id = OneLogin_Saml2_Logout_Request.get_id(xml)
        store.mark_logout_used(message_id)
        name_id = OneLogin_Saml2_Logout_Request.get_nameid(xml)
        indexes = OneLogin_Saml2_Logout_Request.get_session_indexes(xml)
        ended.update(name_id=name_id, count=end_sessions(request, name_id, indexes))

    url = _process(auth, delete_session_cb=end)
    _errors(auth)
    audit.record_request(
        SIGNED_OUT,
        request,
        actor=ended.get("name_id", ""),
        initiated_by="idp",
        sessions=ended.get("count", 0),
    )
    answer = HttpResponseRedirect(url or reverse("login"))
    answer["Cache-Control"] = "no-store"
    return answer


def idp_response(request: HttpRequest) -> HttpResponse:
    """The IdP's LogoutResponse to a LogoutRequest the portal sent (found by its RelayState)."""
    _require_signature(request)
    relay = request.GET.get("RelayState", "")
    flow = store.take_flow(relay) if store.looks_like_token(relay) else None
    if flow is None:
        raise SamlRefused("solicited", "this logout response answers no logout the portal started")
    auth = OneLogin_Saml2_Auth(
        config.request_data(config.SLS_PATH, get=request.GET.dict()), config.saml_settings()
    )
    _process(auth, request_id=flow["request_id"], keep_local_session=True)
    _errors(auth)
    audit.record_request(SIGNED_OUT, request, initiated_by="portal", idp="confirmed")
    answer = HttpResponseRedirect(flow["next"])
    answer["Cache-Control"] = "no-store"
    return answer
