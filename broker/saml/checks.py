"""The broker's own checks on a SAMLResponse, beyond what python3-saml does alone.

Before the signature is verified: a size cap, strict base64, and an
allow-list of signature, digest, canonicalisation and transform algorithms
(no XSLT, no XPath, no SHA-1), so that xmlsec never runs a transform an
attacker chose. After it is verified: Destination and Recipient *equal* to
the ACS URL (python3-saml accepts a prefix or a substring), an Audience
that is required and names us, and the rule on unsolicited responses.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

from lxml import etree

from broker.saml.errors import SamlRefused

NS = {
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
}
_C14N = {
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
}
TRANSFORMS = _C14N | {"http://www.w3.org/2000/09/xmldsig#enveloped-signature"}
SIGNATURE_METHODS = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
}
DIGEST_METHODS = {
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
}
# A genuine signature has one reference with two transforms; more is an attack on CPU.
MAX_TRANSFORMS = 4


def decode(encoded: str, *, max_bytes: int) -> bytes:
    """The XML inside a SAMLResponse field, refused when too large or not base64."""
    if len(encoded) > max_bytes * 4 // 3 + 4:
        raise SamlRefused("size", f"the SAMLResponse is larger than {max_bytes} bytes")
    try:
        xml = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SamlRefused("malformed", "the SAMLResponse is not base64") from None
    # SAML never needs a DTD; refusing one before any parser runs rules out entity
    # expansion and external entities whatever the parser's defaults (NULs: UTF-16).
    folded = xml.replace(b"\x00", b"").upper()
    if b"<!DOCTYPE" in folded or b"<!ENTITY" in folded:
        raise SamlRefused("doctype", "the SAMLResponse carries a DOCTYPE or entity declarations")
    if not xml.lstrip().startswith(b"<"):
        raise SamlRefused("malformed", "the SAMLResponse is not XML")
    return xml


def _algorithms(signature: etree._Element, xpath: str) -> list[str]:
    return [node.get("Algorithm", "") for node in signature.iterfind(xpath, NS)]


def _refuse_unlisted(found: Iterable[str], allowed: set[str], check: str, what: str) -> None:
    for algorithm in found:
        if algorithm not in allowed:
            raise SamlRefused(check, f"{what} {algorithm[:100]!r} is not allowed")


def check_algorithms(document: etree._Element) -> None:
    """Refuse any signature using an algorithm or transform outside the allow-lists."""
    for signature in document.iter(f"{{{NS['ds']}}}Signature"):
        transforms = _algorithms(signature, "ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform")
        if len(transforms) > MAX_TRANSFORMS:
            raise SamlRefused("transform", f"a signature lists {len(transforms)} transforms")
        _refuse_unlisted(transforms, TRANSFORMS, "transform", "the transform")
        _refuse_unlisted(
            _algorithms(signature, "ds:SignedInfo/ds:CanonicalizationMethod"),
            _C14N,
            "transform",
            "the canonicalisation",
        )
        _refuse_unlisted(
            _algorithms(signature, "ds:SignedInfo/ds:SignatureMethod"),
            SIGNATURE_METHODS,
            "algorithm",
            "the signature algorithm",
        )
        _refuse_unlisted(
            _algorithms(signature, "ds:SignedInfo/ds:Reference/ds:DigestMethod"),
            DIGEST_METHODS,
            "algorithm",
            "the digest algorithm",
        )


def the_assertion(document: etree._Element) -> etree._Element:
    found = document.findall(".//saml:Assertion", NS)
    if len(found) != 1:
        raise SamlRefused("assertion", f"the response holds {len(found)} assertions, not one")
    return found[0]


def check_destination(document: etree._Element, *, acs_url: str) -> None:
    destination = document.get("Destination")
    if destination != acs_url:
        raise SamlRefused("destination", f"Destination {str(destination)[:200]!r} is not {acs_url!r}")


def check_recipient(assertion: etree._Element, *, acs_url: str) -> None:
    confirmations = assertion.findall(
        "saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS
    )
    if not confirmations:
        raise SamlRefused("recipient", "the assertion has no SubjectConfirmationData")
    for data in confirmations:
        recipient = data.get("Recipient")
        if recipient != acs_url:
            raise SamlRefused("recipient", f"Recipient {str(recipient)[:200]!r} is not {acs_url!r}")


def check_audience(assertion: etree._Element, *, entity_id: str) -> None:
    """Every AudienceRestriction must name us, and there must be at least one."""
    restrictions = assertion.findall("saml:Conditions/saml:AudienceRestriction", NS)
    if not restrictions:
        raise SamlRefused("audience", "the assertion names no Audience")
    for restriction in restrictions:
        audiences = [(node.text or "").strip() for node in restriction.findall("saml:Audience", NS)]
        if entity_id not in audiences:
            raise SamlRefused("audience", f"the Audience is {audiences[:3]!r}, not {entity_id!r}")


def check_solicitation(
    in_response_to: str | None, request_id: str | None, *, allow_unsolicited: bool
) -> None:
    """An SP-initiated response answers this browser's request; others only when allowed."""
    if request_id is not None:
        if in_response_to != request_id:
            raise SamlRefused("request", "the response does not answer the request this sign-in made")
        return
    if in_response_to:
        raise SamlRefused("request", "the response answers a request that is unknown, expired or used")
    if not allow_unsolicited:
        raise SamlRefused("unsolicited", "IdP-initiated sign-in is off (SAML_ALLOW_IDP_INITIATED)")


def not_on_or_after(assertion: etree._Element) -> list[str]:
    """Every NotOnOrAfter in the assertion: the replay record must outlive the latest."""
    return [node.get("NotOnOrAfter", "") for node in assertion.iter() if node.get("NotOnOrAfter")]
