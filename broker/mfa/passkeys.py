"""Passkeys and security keys (WebAuthn) as a second factor, on django-otp-webauthn.

The library's JSON views run the ceremonies (challenge kept in the session
and popped once, origin, RP ID, signature and signature counter checked by
py_webauthn); this module is the policy around them:

- the relying party ID is the host of ``BROKER_BASE_URL`` and the only
  origin accepted is ``BROKER_BASE_URL``'s, read on every ceremony (never
  the request's Host header), so an assertion made for a look-alike site is
  refused;
- a passkey is a *second* factor: both ceremonies need a signed-in person
  (passwordless sign-in is off), and adding one to an account that already
  has a factor needs a factor shown in the last ``BROKER_STEP_UP_SECONDS``
  (else a borrowed session could add its own key);
- a verified passkey rotates the session key, stamps the session for
  step-up and is audited; a refused one is audited with py_webauthn's reason
  (wrong origin, replayed challenge, a signature counter that went back).

Failure modes: a malformed or refused ceremony answers a 4xx JSON
``{detail, code, reason?}`` and changes nothing; a missing ceremony state
(the page was open too long, or the same answer is posted twice) is 400
``invalid_state``.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django_otp import login as otp_login
from django_otp_webauthn import exceptions
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from broker import audit
from broker.mfa import policy, recovery, stepup
from broker.mfa.redirects import safe_next

log = logging.getLogger(__name__)

# The audit actions of the second factor (views.py and own_passkeys.py write them too).
VERIFIED, FAILED, ENROLLED, REMOVED = "mfa.verified", "mfa.failed", "mfa.enrolled", "mfa.removed"


def origin() -> str:
    parts = urlsplit(settings.BROKER_BASE_URL)
    return f"{parts.scheme}://{parts.netloc}"


def rp_id(request: HttpRequest | None = None) -> str:
    return urlsplit(settings.BROKER_BASE_URL).hostname or ""


def available() -> bool:
    """Browsers offer WebAuthn on https origins and on http://localhost only (not on an IP address)."""
    parts = urlsplit(settings.BROKER_BASE_URL)
    return parts.scheme == "https" or parts.hostname == "localhost"


class BrokerWebAuthnHelper(WebAuthnHelper):
    """The library's helper with the relying party taken from BROKER_BASE_URL at each ceremony."""

    def get_relying_party_domain(self) -> str:
        return rp_id()

    def get_relying_party_name(self) -> str:
        return settings.OTP_TOTP_ISSUER

    def get_allowed_origins(self) -> list[str]:
        return [origin()]


class NeedsRecentFactor(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = "Verify with your current second factor before adding a passkey."
    default_code = "step_up_required"


def _may_enrol(request: HttpRequest) -> None:
    if policy.has_device(request.user) and not stepup.recent(request):
        raise NeedsRecentFactor()


def _refusal(exc: Exception) -> dict[str, Any]:
    body = {"detail": str(exc), "code": getattr(exc, "code", "error")}
    cause = exc.__cause__
    if cause is not None:
        body["reason"] = str(cause)[:300]  # py_webauthn's words: origin, RP ID, counter, signature
    return body


class _Audited:
    """Turn library errors into JSON with the reason, audited as a failed second factor."""

    step = ""

    def handle_exception(self, exc: Exception) -> JsonResponse:
        if not isinstance(exc, exceptions.OTPWebAuthnApiError):
            raise exc
        body = _refusal(exc)
        request = self.request  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            reason = body.get("reason") or body["code"]
            audit.record_request(
                FAILED, request, method=policy.WEBAUTHN, outcome="denied", step=self.step, reason=reason
            )
        log.info("passkey %s refused: %s", self.step, body.get("reason") or body["code"])
        return JsonResponse(body, status=exc.status_code)


def _verified(request: HttpRequest, device: Any, step: str) -> None:
    otp_login(request, device)
    request.session.cycle_key()  # a new session id once the second factor is shown
    stepup.mark_verified(request, policy.WEBAUTHN)
    request.user.mfa_factor = policy.WEBAUTHN


class RegistrationBegin(_Audited, BeginCredentialRegistrationView):
    step = "enrol"

    def check_can_register(self) -> None:
        _may_enrol(self.request)


class RegistrationComplete(_Audited, CompleteCredentialRegistrationView):
    """Saves the passkey; the first factor a person enrols also gets their recovery codes (shown once)."""

    step = "enrol"

    def check_can_register(self) -> None:
        _may_enrol(self.request)

    def post(self, *args: Any, **kwargs: Any) -> JsonResponse:
        request = self.request
        first = not policy.has_device(request.user)
        answer = super().post(*args, **kwargs)
        device = policy.WebAuthnCredential.objects.get(pk=json.loads(answer.content)["id"], user=request.user)
        _verified(request, device, "enrol")
        audit.record_request(ENROLLED, request, method=policy.WEBAUTHN, credential=device.pk)
        body: dict[str, Any] = {"id": device.pk, "redirect_url": safe_next(request, request.GET.get("next"))}
        if first or not recovery.remaining(request.user):
            body["recovery_codes"] = recovery.issue(request.user)
        return JsonResponse(body, status=answer.status_code)


class AuthenticationBegin(_Audited, BeginCredentialAuthenticationView):
    step = "verify"

    def check_can_authenticate(self) -> None:
        if not self.request.user.is_authenticated:  # a second factor only: no passwordless sign-in
            raise exceptions.NotAuthenticated()
        super().check_can_authenticate()


class AuthenticationComplete(_Audited, CompleteCredentialAuthenticationView):
    step = "verify"

    def check_can_authenticate(self) -> None:
        if not self.request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        super().check_can_authenticate()

    def complete_auth(self, device: Any) -> None:
        _verified(self.request, device, "verify")
        audit.record_request(VERIFIED, self.request, method=policy.WEBAUTHN, step="verify")

    def get_success_url(self) -> str:
        return safe_next(self.request, self.request.GET.get("next"))
