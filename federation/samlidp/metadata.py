"""The broker's IdP metadata, as IAM's CreateSAMLProvider takes it.

It publishes the signing certificate and, when ``BROKER_AWS_SAML_NEXT_CERT_FILE``
is set, the next one: IAM then trusts both, so the broker can switch keys
without a window in which AWS refuses its assertions.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from django.conf import settings

from federation.samlidp import keys

CONTENT_TYPE = "application/samlmetadata+xml"

_METADATA = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
    'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID={entity_id}>\n'
    '  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
    'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
    "{key_descriptors}"
    "    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\n"
    '    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
    "Location={portal}/>\n"
    "  </md:IDPSSODescriptor>\n"
    "</md:EntityDescriptor>\n"
)
_KEY = (
    '    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
    "<ds:X509Certificate>{certificate}</ds:X509Certificate>"
    "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n"
)


def document() -> str:
    """The metadata XML: entityID, every published certificate, and the portal as the SSO page."""
    pair = keys.signing_pair()
    return _METADATA.format(
        entity_id=quoteattr(settings.BROKER_AWS_SAML_ENTITY_ID),
        key_descriptors="".join(_KEY.format(certificate=escape(c.der_b64)) for c in pair.published),
        portal=quoteattr(settings.BROKER_BASE_URL + "/"),
    )
