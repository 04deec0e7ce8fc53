"""Who must show a second factor, which kinds there are, and what this session has shown.

``factor(request)`` names the factor this session showed: ``"webauthn"`` (a
passkey or security key), ``"totp"`` (an authenticator app code),
``"recovery"`` (a single-use recovery code), ``"idp"`` for a SAML sign-in
(the IdP's MFA is trusted, see the README on AuthnContext) and for an OIDC
sign-in whose ID token says MFA happened (``amr``, or an ``acr`` listed in
``OIDC_MFA_ACR_VALUES``), and ``""`` otherwise. A SAML user who also verified
a passkey here counts as ``"webauthn"``. Only ``"webauthn"`` is
phishing-resistant: the signature is bound to the broker's origin, so a
look-alike site cannot relay it.

A password user must verify when they have a factor enrolled or when
``BROKER_REQUIRE_MFA`` is on (then they must enrol first).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

SAML_BACKEND = "broker.saml.backend.SamlBackend"
OIDC_BACKEND = "broker.oidc.backend.OidcBackend"
WEBAUTHN = "webauthn"
TOTP = "totp"
RECOVERY = "recovery"
IDP = "idp"
PHISHING_RESISTANT = frozenset({WEBAUTHN})
# The levels a grant (or the admin) can ask for: none, any second factor, a phishing-resistant one.
ANY = "any"


def signed_in_with_saml(request: HttpRequest) -> bool:
    return request.session.get(BACKEND_SESSION_KEY) == SAML_BACKEND


def signed_in_with_oidc_mfa(request: HttpRequest) -> bool:
    """An OIDC sign-in whose provider said a second factor was shown (``amr``/``acr``)."""
    return (
        request.session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND and request.session.get("oidc_mfa") is True
    )


def kind_of(device: object) -> str:
    """The factor a django-otp device stands for."""
    if isinstance(device, WebAuthnCredential):
        return WEBAUTHN
    if isinstance(device, TOTPDevice):
        return TOTP
    return RECOVERY if device is not None else ""


def factor(request: HttpRequest) -> str:
    if not request.user.is_authenticated:
        return ""
    shown = kind_of(getattr(request.user, "otp_device", None))
    if shown:
        return shown
    return IDP if signed_in_with_saml(request) or signed_in_with_oidc_mfa(request) else ""


def satisfies(shown: str, level: str) -> bool:
    """Whether a factor of kind ``shown`` meets a requirement ``level`` (``""``, ``any``, ``webauthn``)."""
    if not level:
        return True
    if level == WEBAUTHN:
        return shown in PHISHING_RESISTANT
    return bool(shown)


def device_for(user: object) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("-id").first()


def has_totp(user: object) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def passkeys(user: object) -> QuerySet[WebAuthnCredential]:
    """The person's confirmed passkeys: what verifies them, and what their MFA page lists."""
    return WebAuthnCredential.objects.filter(user=user, confirmed=True)


def has_passkey(user: object) -> bool:
    return passkeys(user).exists()


def has_device(user: object) -> bool:
    """Any enrolled factor that can open a session (recovery codes alone do not count)."""
    return has_totp(user) or has_passkey(user)


def staff_level(user: object) -> str:
    """What the admin asks of staff: any factor, or a passkey with BROKER_STAFF_REQUIRE_WEBAUTHN."""
    return WEBAUTHN if settings.BROKER_STAFF_REQUIRE_WEBAUTHN else ANY


def must_verify(request: HttpRequest) -> bool:
    """A signed-in password user who has not shown a factor but must before going on."""
    if not request.user.is_authenticated or factor(request):
        return False
    return settings.BROKER_REQUIRE_MFA or has_device(request.user)


def factor_required(request: HttpRequest) -> bool:
    """Whether policy wants this person to hold a factor of their own here: every password user
    under BROKER_REQUIRE_MFA, and staff (the admin asks for one). An SSO session that brought its
    IdP's MFA needs none of its own."""
    if signed_in_with_saml(request) or signed_in_with_oidc_mfa(request):
        return False
    return bool(settings.BROKER_REQUIRE_MFA or request.user.is_staff)


def next_step_url(request: HttpRequest, next_url: str, level: str = ANY) -> str:
    """Where a user goes to show a factor of ``level``: verify if they have one that fits, else enrol."""
    fits = has_passkey(request.user) if level == WEBAUTHN else has_device(request.user)
    sso = level != WEBAUTHN and signed_in_with_saml(request)  # a fresh SSO sign-in will do
    name = "mfa-verify" if fits or sso else "mfa-enrol"
    query = {"next": next_url}
    if level == WEBAUTHN:
        query["need"] = WEBAUTHN
    return f"{reverse(name)}?{urlencode(query)}"
