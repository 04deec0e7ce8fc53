"""One SAMLResponse through every check, in an order that never trusts unverified XML.

1. size, base64, DOCTYPE (python3-saml's parser forbids DTDs and entities);
2. the request this RelayState stands for, taken once;
3. the algorithm and transform allow-list, before any signature is verified;
4. python3-saml's strict validation (signature with the pinned certificates,
   one assertion, timestamps, Issuer, InResponseTo);
5. exact Destination, Recipient and Audience; solicitation;
6. the assertion ID, recorded once in Redis (replay).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme
from onelogin.saml2.errors import OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.xmlparser import DTDForbidden, EntitiesForbidden

from broker.saml import checks, config, store
from broker.saml.errors import SamlRefused
from broker.saml.mapping import Identity, mapper

log = logging.getLogger(__name__)

_E = OneLogin_Saml2_ValidationError
# python3-saml's error codes, named as the check that failed.
CHECK_NAMES = {
    _E.WRONG_NUMBER_OF_ASSERTIONS: "assertion",
    _E.WRONG_SIGNED_ELEMENT: "signature",
    _E.ID_NOT_FOUND_IN_SIGNED_ELEMENT: "signature",
    _E.DUPLICATED_ID_IN_SIGNED_ELEMENTS: "signature",
    _E.INVALID_SIGNED_ELEMENT: "signature",
    _E.DUPLICATED_REFERENCE_IN_SIGNED_ELEMENTS: "signature",
    _E.UNEXPECTED_SIGNED_ELEMENTS: "signature",
    _E.WRONG_NUMBER_OF_SIGNATURES_IN_RESPONSE: "signature",
    _E.WRONG_NUMBER_OF_SIGNATURES_IN_ASSERTION: "signature",
    _E.NO_SIGNED_ASSERTION: "signature",
    _E.NO_SIGNATURE_FOUND: "signature",
    _E.INVALID_SIGNATURE: "signature",
    _E.WRONG_NUMBER_OF_SIGNATURES: "signature",
    _E.DEPRECATED_SIGNATURE_METHOD: "algorithm",
    _E.DEPRECATED_DIGEST_METHOD: "algorithm",
    _E.WRONG_INRESPONSETO: "request",
    _E.ASSERTION_TOO_EARLY: "not-yet-valid",
    _E.ASSERTION_EXPIRED: "expired",
    _E.RESPONSE_EXPIRED: "expired",
    _E.SESSION_EXPIRED: "expired",
    _E.WRONG_DESTINATION: "destination",
    _E.EMPTY_DESTINATION: "destination",
    _E.WRONG_AUDIENCE: "audience",
    _E.WRONG_ISSUER: "issuer",
    _E.ISSUER_MULTIPLE_IN_RESPONSE: "issuer",
    _E.ISSUER_NOT_FOUND_IN_ASSERTION: "issuer",
    _E.WRONG_SUBJECTCONFIRMATION: "subject-confirmation",
    _E.STATUS_CODE_IS_NOT_SUCCESS: "status",
    _E.NO_NAMEID: "nameid",
    _E.EMPTY_NAMEID: "nameid",
}


@dataclass(frozen=True)
class Accepted:
    identity: Identity
    next_url: str
    relay: str  # empty for an IdP-initiated sign-in, which no browser session can vouch for


def _parse(saml_settings, encoded: str) -> OneLogin_Saml2_Response:  # type: ignore[no-untyped-def]
    try:
        return OneLogin_Saml2_Response(saml_settings, encoded)
    except (DTDForbidden, EntitiesForbidden):
        raise SamlRefused("doctype", "the SAMLResponse carries a DOCTYPE or entities") from None
    except Exception as exc:  # lxml, base64, decryption: all mean a message we cannot read
        log.info("SAMLResponse unreadable: %s", type(exc).__name__)
        raise SamlRefused("malformed", "the SAMLResponse is not a readable SAML message") from None


def _validate(response: OneLogin_Saml2_Response, request_id: str | None) -> None:
    try:
        response.is_valid(config.request_data(config.ACS_PATH), request_id, raise_exceptions=True)
    except OneLogin_Saml2_ValidationError as exc:
        raise SamlRefused(CHECK_NAMES.get(exc.code, "invalid"), str(exc)[:300]) from None
    except (OneLogin_Saml2_Error, Exception) as exc:  # xmlsec and lxml failures inside the check
        log.info("SAMLResponse validation failed: %s", type(exc).__name__)
        raise SamlRefused("invalid", "the SAMLResponse could not be validated") from None


def _check_addressing(response: OneLogin_Saml2_Response) -> None:
    document = response.get_xml_document()
    acs_url = config.acs_url()
    checks.check_destination(response.document, acs_url=acs_url)
    assertion = checks.the_assertion(document)
    checks.check_recipient(assertion, acs_url=acs_url)
    checks.check_audience(assertion, entity_id=config.entity_id())


def accept(encoded: str, relay: str) -> Accepted:
    """Validate a posted SAMLResponse; raises ``SamlRefused`` naming the failed check."""
    checks.decode(encoded, max_bytes=settings.SAML_MAX_RESPONSE_BYTES)
    saml_settings = config.saml_settings()
    response = _parse(saml_settings, encoded)
    flow = store.take_flow(relay) if store.looks_like_token(relay) else None
    checks.check_algorithms(response.document)
    checks.check_algorithms(response.get_xml_document())
    request_id = flow["request_id"] if flow else None
    _validate(response, request_id)
    checks.check_solicitation(
        response.get_in_response_to(), request_id, allow_unsolicited=settings.SAML_ALLOW_IDP_INITIATED
    )
    _check_addressing(response)
    assertion = checks.the_assertion(response.get_xml_document())
    store.mark_assertion_used(response.get_assertion_id(), not_on_or_after=checks.not_on_or_after(assertion))
    identity = mapper().identity(
        name_id=response.get_nameid() or "",
        attributes=response.get_attributes(),
        session_index=response.get_session_index() or "",
    )
    next_url = flow["next"] if flow else safe_next(relay)
    return Accepted(identity=identity, next_url=next_url, relay=relay if flow else "")


def safe_next(candidate: str | None) -> str:
    """A path on this site, or the portal: never another host, scheme or protocol-relative URL."""
    default = "/"
    if not candidate or len(candidate) > 2000:
        return default
    base = urlsplit(config.base_url())
    if not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={base.netloc}, require_https=base.scheme == "https"
    ):
        return default
    parts = urlsplit(candidate)
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return default
    return path + (f"?{parts.query}" if parts.query else "")
