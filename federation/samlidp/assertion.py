"""A signed SAML Response for AWS: one Assertion, RSA-SHA256 over exclusive c14n.

The document comes from a fixed template whose structure never depends on
input: every value is escaped into an attribute or a text node, so no name,
tag or ARN can add an element. The Assertion (not the Response) is signed,
as AWS requires, by python-xmlsec (libxmlsec1, the C library python3-saml
already uses here; see the README for why not signxml). The lifetime is at
most five minutes: long enough to reach AWS, short enough that a copied
assertion is soon useless (AWS also refuses a replayed one).

Naming: ``endpoint`` is AWS's SAML sign-in URL for the role's partition
(Recipient and Destination); ``audience`` is who the assertion is for.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

import xmlsec
from django.conf import settings
from django.utils.crypto import salted_hmac
from lxml import etree

from federation.samlidp import keys, rules
from federation.samlidp.rules import Claims

LIFETIME = timedelta(minutes=5)
CLOCK_SKEW = timedelta(seconds=30)  # NotBefore this far back, for AWS's clock
AWS_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/"

_RESPONSE = (
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{response_id}" Version="2.0" '
    'IssueInstant="{now}" Destination={endpoint}>'
    '<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{issuer}</saml:Issuer>'
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
    '<saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="{now}">'
    '<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{issuer}</saml:Issuer>'
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
    '<ds:Reference URI="#{assertion_id}"><ds:Transforms>'
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
    '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>'
    "</ds:Reference></ds:SignedInfo><ds:SignatureValue/>"
    "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data>"
    "</ds:KeyInfo></ds:Signature>"
    '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">'
    "{name_id}</saml:NameID>"
    '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
    '<saml:SubjectConfirmationData NotOnOrAfter="{not_after}" Recipient={endpoint}/>'
    "</saml:SubjectConfirmation></saml:Subject>"
    '<saml:Conditions NotBefore="{not_before}" NotOnOrAfter="{not_after}">'
    "<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>"
    "</saml:Conditions>"
    '<saml:AuthnStatement AuthnInstant="{now}" SessionIndex="{assertion_id}"><saml:AuthnContext>'
    "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified</saml:AuthnContextClassRef>"
    "</saml:AuthnContext></saml:AuthnStatement>"
    "<saml:AttributeStatement>{attributes}</saml:AttributeStatement>"
    "</saml:Assertion></samlp:Response>"
)
_ATTRIBUTE = "<saml:Attribute Name={name}>{values}</saml:Attribute>"
_VALUE = "<saml:AttributeValue>{value}</saml:AttributeValue>"


@dataclass(frozen=True)
class Signed:
    """A signed Response: ``encoded`` is the SAMLResponse field (base64) and a bearer secret."""

    encoded: str
    assertion_id: str
    endpoint: str
    not_on_or_after: datetime

    def __repr__(self) -> str:  # never print the assertion itself
        return f"Signed(assertion_id={self.assertion_id!r}, endpoint={self.endpoint!r})"


def name_id(username: str) -> str:
    """Opaque and stable: the same person always gets the same NameID, which reveals nothing."""
    return salted_hmac("federation.samlidp.name_id", username, algorithm="sha256").hexdigest()[:40]


def _instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _attribute(name: str, *values: str) -> str:
    body = "".join(_VALUE.format(value=escape(value)) for value in values)
    return _ATTRIBUTE.format(name=quoteattr(AWS_ATTRIBUTE + name), values=body)


def _attributes(claims: Claims) -> str:
    parts = [
        _attribute("Role", claims.role_pair),
        _attribute("RoleSessionName", claims.session_name),
        _attribute("SourceIdentity", claims.source_identity),
        _attribute("SessionDuration", str(claims.duration_seconds)),
    ]
    parts += [_attribute(f"PrincipalTag:{key}", value) for key, value in claims.tags.items()]
    if claims.transitive_keys:
        parts.append(_attribute("TransitiveTagKeys", *claims.transitive_keys))
    return "".join(parts)


def _sign(document: bytes, assertion_id: str, pair: keys.SigningPair) -> bytes:
    root = etree.fromstring(document)  # noqa: S320 - our own template, values escaped
    assertion = root[2]  # Issuer, Status, Assertion: fixed by the template
    context = xmlsec.SignatureContext()
    context.key = pair.key  # xmlsec copies the key: one parsed key serves every thread
    context.register_id(assertion, "ID")
    context.sign(assertion[1])  # Issuer, Signature
    return etree.tostring(root)


def build(
    claims: Claims, *, endpoint: str, audience: str, username: str, now: datetime | None = None
) -> Signed:
    """A signed Response carrying ``claims``; ``AssertionRefused`` when AWS would refuse it."""
    rules.check(claims)
    pair = keys.signing_pair()
    now = now or datetime.now(UTC)
    not_after = now + LIFETIME
    assertion_id = "_" + secrets.token_hex(20)
    document = _RESPONSE.format(
        response_id="_" + secrets.token_hex(20),
        assertion_id=assertion_id,
        now=_instant(now),
        not_before=_instant(now - CLOCK_SKEW),
        not_after=_instant(not_after),
        endpoint=quoteattr(endpoint),
        issuer=escape(settings.BROKER_AWS_SAML_ENTITY_ID),
        certificate=pair.certificate.der_b64,
        name_id=name_id(username),
        audience=escape(audience),
        attributes=_attributes(claims),
    )
    encoded = base64.b64encode(_sign(document.encode(), assertion_id, pair)).decode()
    rules.check_size(encoded)
    return Signed(encoded=encoded, assertion_id=assertion_id, endpoint=endpoint, not_on_or_after=not_after)
