"""What AWS's SAML sign-in checks, for the local stand-in (``POST /saml``).

moto's AssumeRoleWithSAML checks nothing, so the stand-in does what AWS
does before it: the provider named in the Role attribute is looked up in IAM
(moto's ``GetSAMLProvider``), the signature is verified against the
certificates of that provider's metadata with signxml (an implementation
independent of the broker's libxmlsec1 signer), and from then on only the
element the signature covers is read (``signed_xml``), never the document
again by ID: a wrapped (XSW) or edited assertion cannot pass. Then the
Issuer, Recipient, Destination, Audience, time window, bearer confirmation
and the Role pair, and a replayed assertion is refused.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.exceptions import InvalidInput, InvalidSignature

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
ROLE = "https://aws.amazon.com/SAML/Attributes/Role"
AUDIENCES = {"https://signin.aws.amazon.com/saml", "urn:amazon:webservices"}
CLOCK_SKEW_SECONDS = 60
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class Refused(Exception):
    """AWS would answer its sign-in error page; the message says which check failed."""


@dataclass(frozen=True)
class Verified:
    role_arn: str
    provider_arn: str
    attributes: dict[str, list[str]]


def _attributes(assertion: etree._Element) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for attribute in assertion.iterfind("saml:AttributeStatement/saml:Attribute", NS):
        values = [value.text or "" for value in attribute.iterfind("saml:AttributeValue", NS)]
        found.setdefault(attribute.get("Name", ""), []).extend(values)
    return found


def _instant(text: str | None, what: str) -> float:
    if not text:
        raise Refused(f"{what} is missing")
    try:
        return (
            datetime.strptime(text.replace(".000", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        )
    except ValueError:
        raise Refused(f"{what} is not a SAML instant") from None


def _providers_named(document: etree._Element) -> list[str]:
    """Unverified: which providers the Role attribute names, only to choose whose certificates to try."""
    values = document.iterfind(f".//saml:Attribute[@Name='{ROLE}']/saml:AttributeValue", NS)
    return sorted(
        {part for value in values for part in (value.text or "").split(",") if ":saml-provider/" in part}
    )


def _only(document: etree._Element, signed: etree._Element) -> None:
    """What reaches STS is the whole document: it must hold the signed Assertion and nothing like it.

    One Assertion anywhere, unique IDs, and that Assertion's ID the signed one's:
    a wrapped copy (XSW) next to, around or inside the signed one is refused.
    """
    assertions = document.findall(".//saml:Assertion", NS)
    if len(assertions) != 1:
        raise Refused(f"the Response holds {len(assertions)} Assertions; exactly one is allowed")
    ids = [node.get("ID") for node in document.iter() if isinstance(node.tag, str) and node.get("ID")]
    if len(ids) != len(set(ids)):
        raise Refused("two elements share an ID")
    if assertions[0].getparent() is not document or assertions[0].get("ID") != signed.get("ID"):
        raise Refused("the Assertion in the Response is not the one the signature covers")


class SamlVerifier:
    """AWS's checks, with IAM's SAML providers read through ``provider_metadata(arn) -> xml``."""

    def __init__(self, provider_metadata) -> None:  # type: ignore[no-untyped-def]
        self._metadata = provider_metadata
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def verify(self, encoded: str, *, endpoint: str) -> Verified:
        try:
            xml = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise Refused("SAMLResponse is not base64") from None
        if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
            raise Refused("a DTD is not allowed")
        try:
            document = etree.fromstring(xml, _PARSER)
        except etree.XMLSyntaxError:
            raise Refused("SAMLResponse is not XML") from None
        if document.tag != f"{{{NS['samlp']}}}Response":
            raise Refused("not a samlp:Response")
        if document.get("Destination") not in (None, endpoint):
            raise Refused("the Response's Destination is not this endpoint")
        for provider_arn in _providers_named(document):
            assertion = self._signed_assertion(xml, provider_arn)
            if assertion is not None:
                _only(document, assertion)
                return self._check(assertion, provider_arn, endpoint=endpoint)
        raise Refused("no signature by a certificate of the SAML provider named in the Role attribute")

    def _certificates(self, provider_arn: str) -> tuple[str, list[str]]:
        metadata = etree.fromstring(self._metadata(provider_arn).encode(), _PARSER)
        certificates = [
            "".join((node.text or "").split())
            for node in metadata.iterfind(".//md:KeyDescriptor/ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
        ]
        return metadata.get("entityID", ""), certificates

    def _signed_assertion(self, xml: bytes, provider_arn: str) -> etree._Element | None:
        try:
            issuer, certificates = self._certificates(provider_arn)
        except Exception:  # noqa: BLE001 - an unknown provider is simply not a match
            return None
        config = SignatureConfiguration(expect_references=1)
        for der_b64 in certificates:
            pem = "-----BEGIN CERTIFICATE-----\n" + der_b64 + "\n-----END CERTIFICATE-----\n"
            try:
                signed = XMLVerifier().verify(xml, x509_cert=pem, expect_config=config).signed_xml
            except (InvalidSignature, InvalidInput):
                continue
            if signed is None or signed.tag != f"{{{NS['saml']}}}Assertion":
                raise Refused("the signature does not cover an Assertion")
            if signed.findtext("saml:Issuer", namespaces=NS) != issuer:
                raise Refused("the Assertion's Issuer is not the provider's entityID")
            return signed
        return None

    def _check(self, assertion: etree._Element, provider_arn: str, *, endpoint: str) -> Verified:
        now = time.time()
        confirmations = assertion.findall("saml:Subject/saml:SubjectConfirmation", NS)
        if (
            len(confirmations) != 1
            or confirmations[0].get("Method") != "urn:oasis:names:tc:SAML:2.0:cm:bearer"
        ):
            raise Refused("exactly one bearer SubjectConfirmation is required")
        data = confirmations[0].find("saml:SubjectConfirmationData", NS)
        if data is None or data.get("Recipient") != endpoint:
            raise Refused("the Recipient is not this endpoint")
        if (
            _instant(data.get("NotOnOrAfter"), "SubjectConfirmationData NotOnOrAfter")
            <= now - CLOCK_SKEW_SECONDS
        ):
            raise Refused("the assertion has expired")
        conditions = assertion.find("saml:Conditions", NS)
        if conditions is None:
            raise Refused("Conditions are missing")
        if _instant(conditions.get("NotOnOrAfter"), "Conditions NotOnOrAfter") <= now - CLOCK_SKEW_SECONDS:
            raise Refused("the assertion has expired")
        if (
            conditions.get("NotBefore")
            and _instant(conditions.get("NotBefore"), "NotBefore") > now + CLOCK_SKEW_SECONDS
        ):
            raise Refused("the assertion is not valid yet")
        audiences = {a.text for a in conditions.iterfind("saml:AudienceRestriction/saml:Audience", NS)}
        if not audiences & AUDIENCES:
            raise Refused("AWS is not an Audience of the assertion")
        attributes = _attributes(assertion)
        pairs = [value.split(",") for value in attributes.get(ROLE, [])]
        roles = [
            next(p for p in pair if ":role/" in p)
            for pair in pairs
            if len(pair) == 2 and provider_arn in pair
        ]
        if len(roles) != 1:
            raise Refused("the Role attribute does not hold one role,provider pair for this provider")
        self._spend(assertion.get("ID", ""), now)
        return Verified(role_arn=roles[0], provider_arn=provider_arn, attributes=attributes)

    def _spend(self, assertion_id: str, now: float) -> None:
        """AWS takes an assertion once."""
        with self._lock:
            self._seen = {key: until for key, until in self._seen.items() if until > now}
            if not assertion_id or assertion_id in self._seen:
                raise Refused("this assertion was already used")
            self._seen[assertion_id] = now + 600


def moto_provider_metadata(provider_arn: str) -> str:
    """IAM's copy of a provider's metadata, from moto (``AWS_ENDPOINT_URL``)."""
    from devtools.aws_demo import account_iam

    account_id = provider_arn.split(":")[4]
    iam = account_iam(os.environ["AWS_ENDPOINT_URL"], account_id)
    return iam.get_saml_provider(SAMLProviderArn=provider_arn)["SAMLMetadataDocument"]
