"""python3-saml settings, built from the broker's ``SAML_*`` settings and the IdP metadata.

The SP's own URLs come from ``BROKER_BASE_URL`` and never from the request's
Host header, so a spoofed Host cannot move the Destination python3-saml
compares against. The IdP's signing certificates come only from its metadata
(pinned; a certificate inside a response is never trusted), and metadata with
two signing certificates is how a rollover is accepted.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from onelogin.saml2.constants import OneLogin_Saml2_Constants as Saml
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser as MetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings

METADATA_PATH = "/saml/metadata/"
LOGIN_PATH = "/saml/login/"
ACS_PATH = "/saml/acs/"
SLS_PATH = "/saml/sls/"
# Metadata fetched from a URL is re-read after this long, so a new IdP
# certificate published there is picked up without a restart.
METADATA_URL_SECONDS = 3600

_metadata: dict[tuple[str, ...], tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


class SamlNotConfigured(RuntimeError):
    """SAML is off, or its configuration cannot be used; the message says which part."""


def enabled() -> bool:
    return bool(settings.SAML_IDP_METADATA_FILE or settings.SAML_IDP_METADATA_URL)


def base_url() -> str:
    return settings.BROKER_BASE_URL.rstrip("/")


def acs_url() -> str:
    return base_url() + ACS_PATH


def entity_id() -> str:
    return settings.SAML_SP_ENTITY_ID or base_url() + METADATA_PATH


def reset() -> None:
    """Forget cached metadata (tests use it to simulate a restart)."""
    with _lock:
        _metadata.clear()


def _parse(xml: str | bytes) -> dict[str, Any]:
    parsed = MetadataParser.parse(xml, required_sso_binding=Saml.BINDING_HTTP_REDIRECT)
    idp = parsed.get("idp") or {}
    if not idp.get("entityId") or not idp.get("singleSignOnService", {}).get("url"):
        raise SamlNotConfigured("the IdP metadata names no entity ID or HTTP-Redirect sign-on URL")
    if not (idp.get("x509cert") or idp.get("x509certMulti", {}).get("signing")):
        raise SamlNotConfigured("the IdP metadata holds no signing certificate")
    return idp


def idp_settings() -> dict[str, Any]:
    """The IdP part of the settings, from the metadata file (re-read when it changes) or URL."""
    path, url = settings.SAML_IDP_METADATA_FILE, settings.SAML_IDP_METADATA_URL
    if path:
        try:
            stamp = Path(path).stat().st_mtime
        except OSError as exc:
            raise SamlNotConfigured(f"SAML_IDP_METADATA_FILE cannot be read: {exc.strerror}") from None
        key = ("file", path, str(stamp))
    elif url:
        key = ("url", url, str(int(time.time() // METADATA_URL_SECONDS)))
    else:
        raise SamlNotConfigured("SAML is off: set SAML_IDP_METADATA_FILE or SAML_IDP_METADATA_URL")
    with _lock:
        if key in _metadata:
            return _metadata[key][1]
    if path:
        idp = _parse(Path(path).read_bytes())
    else:
        idp = _parse(MetadataParser.get_metadata(url, validate_cert=True, timeout=10))
    with _lock:
        _metadata.clear()
        _metadata[key] = (time.time(), idp)
    return idp


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeError) as exc:
        raise SamlNotConfigured(f"{what} cannot be read: {exc}") from None


def sp_keypair() -> tuple[str, str]:
    """(certificate PEM, key PEM), both empty when the SP does not sign."""
    cert_file, key_file = settings.SAML_SP_CERT_FILE, settings.SAML_SP_KEY_FILE
    if bool(cert_file) != bool(key_file):
        raise SamlNotConfigured("set both SAML_SP_CERT_FILE and SAML_SP_KEY_FILE, or neither")
    if not cert_file:
        return "", ""
    return _read(cert_file, "SAML_SP_CERT_FILE"), _read(key_file, "SAML_SP_KEY_FILE")


def _security(signing: bool) -> dict[str, Any]:
    return {
        "authnRequestsSigned": signing,
        "logoutRequestSigned": signing,
        "logoutResponseSigned": signing,
        "wantAssertionsSigned": True,
        # Many IdPs sign only the assertion; a signed envelope is checked when present.
        "wantMessagesSigned": False,
        "wantNameId": True,
        "wantAttributeStatement": False,
        "allowRepeatAttributeName": False,
        "rejectDeprecatedAlgorithm": True,
        "signatureAlgorithm": Saml.RSA_SHA256,
        "digestAlgorithm": Saml.SHA256,
        # Asking for PasswordProtectedTransport would refuse MFA and passwordless sign-ins.
        "requestedAuthnContext": False,
        # Solicitation is the broker's own check (response.py), keyed by RelayState.
        "rejectUnsolicitedResponsesWithInResponseTo": False,
    }


def settings_dict(*, sp_only: bool = False) -> dict[str, Any]:
    cert, key = sp_keypair()
    return {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": entity_id(),
            "assertionConsumerService": {"url": acs_url(), "binding": Saml.BINDING_HTTP_POST},
            "singleLogoutService": {"url": base_url() + SLS_PATH, "binding": Saml.BINDING_HTTP_REDIRECT},
            "NameIDFormat": Saml.NAMEID_UNSPECIFIED,
            "x509cert": cert,
            "privateKey": key,
        },
        "idp": {} if sp_only else idp_settings(),
        "security": _security(signing=bool(key)),
    }


def saml_settings(*, sp_only: bool = False) -> OneLogin_Saml2_Settings:
    if not enabled():
        raise SamlNotConfigured("SAML is off: set SAML_IDP_METADATA_FILE or SAML_IDP_METADATA_URL")
    return OneLogin_Saml2_Settings(settings_dict(sp_only=sp_only), sp_validation_only=sp_only)


def request_data(path: str, *, get: dict[str, str] | None = None, post: dict[str, str] | None = None) -> dict:
    """What python3-saml calls the request, built from BROKER_BASE_URL, never the Host header."""
    base = urlsplit(base_url())
    https = base.scheme == "https"
    return {
        "https": "on" if https else "off",
        "http_host": base.netloc,  # host[:port], exactly as in BROKER_BASE_URL
        "script_name": base.path + path,
        "get_data": dict(get or {}),
        "post_data": dict(post or {}),
    }
