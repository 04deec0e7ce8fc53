"""The library's OAuth views with the broker's templates and rules, and the terminal page.

Each class is django-oauth-toolkit's own view; what changes is only what the
broker adds: its templates, the device grant's confirmation recording a
``CliSession``, every grant going through oauthlib's validation (and so
the broker's validator), absolute verification URIs from
``BROKER_BASE_URL`` (never from the request's Host), and the device
authorization endpoint in the RFC 8414 metadata.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from oauth2_provider.models import (
    DeviceCodeResponse,
    DeviceRequest,
    create_device_grant,
    get_access_token_model,
    get_device_grant_model,
)
from oauth2_provider.views import (
    AuthorizationView,
    DeviceAuthorizationView,
    DeviceConfirmView,
    DeviceGrantStatusView,
    OAuthServerMetadataView,
    TokenView,
)

from broker import audit
from broker.cliauth import config, devicecodes, sessions
from broker.cliauth.models import CliSession


class Authorize(AuthorizationView):
    """The consent page of the browser flow: the person confirms the CLI's request.

    PKCE with S256 is required before the page is even shown (the library would
    refuse ``plain`` only after the person had allowed it).
    """

    template_name = "cliauth/authorize.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET.get("code_challenge_method") != "S256" or not request.GET.get("code_challenge"):
            error = {
                "error": "invalid_request",
                "description": "PKCE with code_challenge_method=S256 is required",
            }
            return render(request, self.template_name, {"error": error}, status=400)
        return super().get(request, *args, **kwargs)


class Token(TokenView):
    """Every grant through oauthlib (so through ``CliValidator``); success also names the person.

    The library answers a device-code poll from its own lookup before oauthlib
    validates it; the broker's validator does that lookup (``validate_device_code``),
    so a made-up, expired, denied or used device code gets the RFC 8628 error, never a 500.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = self.authorization_flow_token_response(request)
        if response.status_code == 200:
            return _with_session(response)
        return response


def _with_session(response: HttpResponse) -> HttpResponse:
    """Add ``username`` and ``session_expires_at`` (RFC 6749 allows extra members) for the CLI to show."""
    body = json.loads(response.content)
    checksum = hashlib.sha256(body["access_token"].encode("utf-8")).hexdigest()
    token = get_access_token_model().objects.select_related("user").get(token_checksum=checksum)
    session = sessions.for_family(sessions.family_of_access_token(token))
    body["username"] = token.user.get_username()
    if session is not None:
        body["session_expires_at"] = session.ends_at.replace(microsecond=0).isoformat()
    enriched = JsonResponse(body, status=200)
    for header in ("Cache-Control", "Pragma"):
        if response.has_header(header):
            enriched[header] = response[header]
    enriched.setdefault("Cache-Control", "no-store")
    return enriched


DEVICE_RESPONSE_FIELDS = ("verification_uri", "expires_in", "user_code", "device_code", "interval")


def verification_uri() -> str:
    return settings.BROKER_BASE_URL + reverse("oauth2_provider:device")


class DeviceAuthorization(DeviceAuthorizationView):
    """RFC 8628 section 3.1; the verification URIs point at the portal's configured address.

    The library's ``post`` passes oauthlib's whole answer to its
    ``DeviceCodeResponse``, which oauthlib 4 (it adds ``scope``) makes fail;
    this keeps the fields the grant row needs, and the scope is always the CLI's.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        headers, body, status = self.create_device_authorization_response(request)
        if status != 200:
            return JsonResponse(
                json.loads(body) if isinstance(body, str) else body, status=status, headers=headers
            )
        kept = {name: body[name] for name in DEVICE_RESPONSE_FIELDS if name in body}
        create_device_grant(
            DeviceRequest(client_id=config.CLIENT_ID, scope=config.SCOPE), DeviceCodeResponse(**kept)
        )
        body = {**kept, "verification_uri": verification_uri()}
        body["verification_uri_complete"] = f"{verification_uri()}?user_code={body['user_code']}"
        return JsonResponse(body, headers={"Cache-Control": "no-store"})


@login_required
@require_http_methods(["GET", "POST"])
def device(request: HttpRequest) -> HttpResponse:
    """RFC 8628 section 3.3: the person types the code their terminal shows."""
    context: dict[str, Any] = {"user_code": request.GET.get("user_code", "")[:20]}
    status = 200
    if request.method == "POST":
        context["user_code"] = request.POST.get("user_code", "")[:20]
        try:
            grant = devicecodes.claim(request, context["user_code"])
        except devicecodes.TooManyCodes as exc:
            context["error"], status = str(exc), 429
        except devicecodes.CodeRefused as exc:
            context["error"], status = str(exc), 400
        else:
            return redirect(
                "oauth2_provider:device-confirm", client_id=grant.client_id, user_code=grant.user_code
            )
    return render(request, "cliauth/device_code.html", context, status=status)


class DeviceConfirm(DeviceConfirmView):
    """The confirmation page: the code, the client and who is signing in; approve or deny.

    The library finds only a pending grant bound to this person; an expired one
    is a 404 too. Approval records the ``CliSession`` (with this browser
    session's MFA state) in the same transaction as the status change.
    """

    template_name = "cliauth/device_confirm.html"

    def get_object(self) -> Any:
        device = super().get_object()
        if device.is_expired():
            raise Http404("this sign-in request has expired")
        return device

    def form_valid(self, form: Any) -> HttpResponse:
        action = form.cleaned_data["action"]
        if action not in ("accept", "deny"):
            return HttpResponseBadRequest("action must be accept or deny")
        model = get_device_grant_model()
        with transaction.atomic():
            device = model.objects.select_for_update().get(pk=self.get_object().pk)
            if device.status != model.AUTHORIZATION_PENDING:
                raise Http404("this sign-in request was already answered")
            if action == "accept":
                sessions.start(user=self.request.user, flow=CliSession.DEVICE, device_grant=device)
                device.status = model.AUTHORIZED
            else:
                audit.record_request("cli.denied", self.request, method=CliSession.DEVICE)
                device.status = model.DENIED
            device.save(update_fields=["status"])
        return redirect(self.get_success_url())


class DeviceDone(DeviceGrantStatusView):
    template_name = "cliauth/device_done.html"


class Metadata(OAuthServerMetadataView):
    """RFC 8414 metadata, plus the RFC 8628 device authorization endpoint the library leaves out."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        body = json.loads(super().get(request, *args, **kwargs).content)
        body["device_authorization_endpoint"] = request.build_absolute_uri(
            reverse("oauth2_provider:device-authorization")
        )
        return JsonResponse(body, headers={"Access-Control-Allow-Origin": "*"})


@login_required
def terminal(request: HttpRequest) -> HttpResponse:
    """ "Use from the terminal": how to install the CLI and sign in to this broker."""
    context = {
        "base_url": settings.BROKER_BASE_URL,
        "client_id": config.CLIENT_ID,
        "cli_sessions": sessions.live_for(request.user),
    }
    return render(request, "cliauth/terminal.html", context)
