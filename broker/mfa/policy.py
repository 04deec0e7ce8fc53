"""Who must show a TOTP code, and whether this session has shown a second factor.

``factor(request)`` is ``"totp"`` after a verified code, ``"idp"`` for a SAML
sign-in (the IdP's MFA is trusted, see the README on AuthnContext) and for an
OIDC sign-in whose ID token says MFA happened (``amr``, or an ``acr`` listed in
``OIDC_MFA_ACR_VALUES``) and ``""``
otherwise. A password user must verify when they have a device or when
``BROKER_REQUIRE_MFA`` is on (then they must enrol first).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpRequest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

SAML_BACKEND = "broker.saml.backend.SamlBackend"
OIDC_BACKEND = "broker.oidc.backend.OidcBackend"
TOTP = "totp"
IDP = "idp"


def signed_in_with_saml(request: HttpRequest) -> bool:
    return request.session.get(BACKEND_SESSION_KEY) == SAML_BACKEND


def signed_in_with_oidc_mfa(request: HttpRequest) -> bool:
    """An OIDC sign-in whose provider said a second factor was shown (``amr``/``acr``)."""
    return (
        request.session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND and request.session.get("oidc_mfa") is True
    )


def factor(request: HttpRequest) -> str:
    if not request.user.is_authenticated:
        return ""
    if signed_in_with_saml(request) or signed_in_with_oidc_mfa(request):
        return IDP
    return TOTP if getattr(request.user, "otp_device", None) is not None else ""


def device_for(user: object) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("-id").first()


def has_device(user: object) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def must_verify(request: HttpRequest) -> bool:
    """A signed-in password user who has not shown a code but must before going on."""
    if not request.user.is_authenticated or factor(request):
        return False
    return settings.BROKER_REQUIRE_MFA or has_device(request.user)


def next_step_url(request: HttpRequest, next_url: str) -> str:
    """Where a user without a verified code goes: verify if they have a device, else enrol."""
    name = "mfa-verify" if has_device(request.user) else "mfa-enrol"
    return f"{reverse(name)}?{urlencode({'next': next_url})}"
