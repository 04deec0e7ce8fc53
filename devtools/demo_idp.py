"""A small SAML 2.0 IdP on pysaml2 for the demo and the tests: an IdP that is not us.

Responses are built by pysaml2's ``saml2.server.Server`` and signed by
Debian's ``xmlsec1`` (RSA-SHA256), so they share no code with python3-saml,
the broker's side. ``build`` returns the unsigned XML and ``sign`` signs it,
so tests can change a response *before* signing (a wrong Audience that is
still validly signed) or *after* (an edited assertion).

Single logout (HTTP-Redirect, signed with RSA-SHA256 by pysaml2): with an
``slo_url`` the IdP publishes a SingleLogoutService, reads the SP's
LogoutRequest, answers it with a LogoutResponse, and can start a logout of
its own (``logout_request``), signed with its key or, for attack tests,
another one.

Run alone: ``python -m devtools.demo_idp --port 5002 --state .demo --sp-metadata URL``.
Keys are made at first run into the state folder, never committed.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import html
import urllib.parse
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.utils import CryptographyDeprecationWarning
from lxml import etree

from federation.samlidp.keys import generate_pair

with warnings.catch_warnings():  # pysaml2 names a cipher mode cryptography has moved; unused here
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml, samlp
    from saml2.config import IdPConfig
    from saml2.mdstore import MetadataStore
    from saml2.pack import http_redirect_message
    from saml2.server import Server
    from saml2.sigver import (
        RSACrypto,
        import_rsa_key_from_file,
        pre_signature_part,
        verify_redirect_signature,
    )

XMLSEC = "/usr/bin/xmlsec1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
DEMO_USERS: dict[str, list[str]] = {"alice": ["developers"], "bob": ["auditors"]}


@dataclass(frozen=True)
class KeyPair:
    key_file: Path
    cert_file: Path

    @property
    def cert_b64(self) -> str:
        pem = self.cert_file.read_text()
        return "".join(line for line in pem.splitlines() if "-----" not in line)


def make_keypair(folder: Path, name: str, *, common_name: str = "demo-idp") -> KeyPair:
    """An RSA-2048 key and a self-signed certificate, written with owner-only permissions."""
    folder.mkdir(parents=True, exist_ok=True)
    pair = KeyPair(folder / f"{name}.key", folder / f"{name}.crt")
    if pair.key_file.exists() and pair.cert_file.exists():
        return pair
    key_pem, cert_pem = generate_pair(common_name)
    pair.key_file.write_bytes(key_pem)
    pair.key_file.chmod(0o600)
    pair.cert_file.write_bytes(cert_pem)
    return pair


def metadata_xml(entity_id: str, sso_url: str, certs: Sequence[KeyPair], slo_url: str = "") -> str:
    """IdP metadata with one signing KeyDescriptor per certificate (two during a rollover)."""
    slo = (
        f'<md:SingleLogoutService Binding="{BINDING_HTTP_REDIRECT}" Location="{html.escape(slo_url)}"/>'
        if slo_url
        else ""
    )
    keys = "".join(
        f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{pair.cert_b64}'
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        for pair in certs
    )
    return (
        '<?xml version="1.0"?>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{html.escape(entity_id)}">'
        '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"{keys}{slo}"
        f'<md:SingleSignOnService Binding="{BINDING_HTTP_REDIRECT}" Location="{html.escape(sso_url)}"/>'
        f'<md:SingleSignOnService Binding="{BINDING_HTTP_POST}" Location="{html.escape(sso_url)}"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


@dataclass
class DemoIdP:
    """A pysaml2 IdP that signs with ``signing`` and publishes ``published`` certificates."""

    folder: Path
    entity_id: str
    sso_url: str
    signing: KeyPair
    published: list[KeyPair] = field(default_factory=list)
    slo_url: str = ""

    def __post_init__(self) -> None:
        self.published = self.published or [self.signing]
        self.server = Server(config=self._config())
        # No SP metadata: the tests and the demo name the ACS and audience themselves.
        self.server.metadata = MetadataStore(self.server.config.attribute_converters, self.server.config)
        self.server.has_encrypt_cert_in_metadata = lambda sp_entity_id: False

    def _config(self) -> IdPConfig:
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": XMLSEC,
                "key_file": str(self.signing.key_file),
                "cert_file": str(self.signing.cert_file),
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)],
                            "single_logout_service": [(self.slo_url, BINDING_HTTP_REDIRECT)]
                            if self.slo_url
                            else [],
                        },
                        "policy": {"default": {"lifetime": {"minutes": 5}, "entity_categories": []}},
                        "name_id_format": [saml.NAMEID_FORMAT_UNSPECIFIED],
                    }
                },
                "delete_tmpfiles": True,
            }
        )
        return config

    def metadata(self) -> str:
        return metadata_xml(self.entity_id, self.sso_url, self.published, self.slo_url)

    def _redirect(self, message: object, location: str, relay: str, kind: str, key: KeyPair | None) -> str:
        """``location`` with the message in the HTTP-Redirect binding, signed (RSA-SHA256)."""
        signer = RSACrypto(import_rsa_key_from_file(str((key or self.signing).key_file)))
        return http_redirect_message(
            str(message), location, relay, kind, sigalg=RSA_SHA256, sign=True, backend=signer
        )["headers"][0][1]

    def read_logout_request(
        self, query: Mapping[str, str], sp_cert: KeyPair | None = None
    ) -> samlp.LogoutRequest:
        """The SP's LogoutRequest from its redirect query; its signature checked when ``sp_cert`` is given."""
        if sp_cert is not None:
            signer = RSACrypto(None)
            if not verify_redirect_signature(dict(query), signer, cert=sp_cert.cert_b64):
                raise ValueError("the LogoutRequest's signature does not verify")
        return self.server.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT).message

    def logout_response(
        self,
        in_response_to: str,
        destination: str,
        relay: str = "",
        *,
        success: bool = True,
        key: KeyPair | None = None,
    ) -> str:
        """The URL that brings the browser back to the SP with a signed LogoutResponse."""
        status = None if success else samlp.Status(status_code=samlp.StatusCode(value=samlp.STATUS_RESPONDER))
        response = self.server._status_response(
            samlp.LogoutResponse,
            self.server._issuer(),
            status,
            False,
            destination=destination,
            in_response_to=in_response_to,
        )
        return self._redirect(response, destination, relay, "SAMLResponse", key)

    def logout_request(
        self,
        *,
        name_id: str,
        destination: str,
        sp_entity_id: str,
        session_indexes: Sequence[str] = (),
        relay: str = "",
        key: KeyPair | None = None,
    ) -> tuple[str, str]:
        """(request ID, URL) of an IdP-initiated, signed LogoutRequest to the SP."""
        request_id, request = self.server.create_logout_request(
            destination,
            sp_entity_id,
            name_id=saml.NameID(format=saml.NAMEID_FORMAT_UNSPECIFIED, text=name_id),
            session_indexes=list(session_indexes),
            sign=False,
        )
        return request_id, self._redirect(request, destination, relay, "SAMLRequest", key)

    def read_request(self, saml_request: str) -> tuple[str, str, str]:
        """(request ID, ACS URL, SP entity ID) of an HTTP-Redirect AuthnRequest."""
        request = self.server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT).message
        return request.id, request.assertion_consumer_service_url, request.issuer.text

    def build(
        self,
        *,
        name_id: str,
        acs_url: str,
        audience: str,
        in_response_to: str | None = None,
        attributes: Mapping[str, Sequence[str]] | None = None,
    ) -> str:
        """The unsigned response XML, as pysaml2 builds it."""
        response = self.server.create_authn_response(
            identity={name: list(values) for name, values in (attributes or {}).items()},
            in_response_to=in_response_to,
            destination=acs_url,
            sp_entity_id=audience,
            name_id=saml.NameID(format=saml.NAMEID_FORMAT_UNSPECIFIED, text=name_id),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
            sign_response=False,
            sign_assertion=False,
        )
        return str(response)

    def sign(
        self, xml: str, *, assertion: bool = True, response: bool = False, key: KeyPair | None = None
    ) -> str:
        """Sign the assertion and/or the response with xmlsec1 (RSA-SHA256, SHA-256 digests)."""
        key = key or self.signing
        if assertion:
            xml = self._sign_element(xml, "saml:Assertion", key)
        if response:
            xml = self._sign_element(xml, "/samlp:Response", key)
        return xml

    def _sign_element(self, xml: str, path: str, key: KeyPair) -> str:
        root = etree.fromstring(xml.encode())
        node = root if path.startswith("/") else root.find(f".//{path}", NS)
        ident = node.get("ID")
        template = pre_signature_part(ident, key.cert_b64, digest_alg=SHA256, sign_alg=RSA_SHA256)
        issuer = node.find("saml:Issuer", NS)
        position = list(node).index(issuer) + 1 if issuer is not None else 0
        node.insert(position, etree.fromstring(template.to_string()))
        node_name = (
            "urn:oasis:names:tc:SAML:2.0:protocol:Response"
            if path.startswith("/")
            else ("urn:oasis:names:tc:SAML:2.0:assertion:Assertion")
        )
        unsigned = etree.tostring(root).decode()
        return self.server.sec.sign_statement(unsigned, node_name, key_file=str(key.key_file), node_id=ident)

    def respond(
        self,
        *,
        name_id: str,
        acs_url: str,
        audience: str,
        in_response_to: str | None = None,
        attributes: Mapping[str, Sequence[str]] | None = None,
        before_signing: Callable[[etree._Element], None] | None = None,
        sign_assertion: bool = True,
        sign_response: bool = False,
        key: KeyPair | None = None,
    ) -> str:
        """A signed response, base64 as the HTTP-POST binding carries it."""
        xml = self.build(
            name_id=name_id,
            acs_url=acs_url,
            audience=audience,
            in_response_to=in_response_to,
            attributes=attributes,
        )
        if before_signing is not None:
            root = etree.fromstring(xml.encode())
            before_signing(root)
            xml = etree.tostring(root).decode()
        xml = self.sign(xml, assertion=sign_assertion, response=sign_response, key=key)
        return base64.b64encode(xml.encode()).decode()


def auto_post_page(acs_url: str, saml_response: str, relay_state: str | None) -> str:
    relay = (
        f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">' if relay_state else ""
    )
    return (
        "<!doctype html><html><head><title>Signing in</title></head>"
        '<body onload="document.forms[0].submit()">'
        f'<form method="post" action="{html.escape(acs_url)}">'
        f'<input type="hidden" name="SAMLResponse" value="{saml_response}">{relay}'
        "<noscript><button>Continue</button></noscript></form></body></html>"
    )


def chooser_page(query: str, users: Mapping[str, Sequence[str]]) -> str:
    buttons = "".join(
        f'<p><button name="user" value="{html.escape(name)}">Sign in as {html.escape(name)}</button> '
        f"<small>groups: {html.escape(', '.join(groups))}</small></p>"
        for name, groups in users.items()
    )
    return (
        "<!doctype html><html><head><title>Demo IdP</title></head><body>"
        "<h1>Demo identity provider</h1><p>Choose who you are (no password: this is a demo).</p>"
        f'<form method="get" action="/sso/choose"><input type="hidden" name="q" value="{html.escape(query)}">'
        f"{buttons}</form></body></html>"
    )


def make_handler(
    idp: DemoIdP, users: Mapping[str, Sequence[str]], *, auto_user: str | None = None
) -> type[BaseHTTPRequestHandler]:
    """``/sso`` reads the AuthnRequest; it asks who you are, or answers at once as ``auto_user``."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            return

        def _send(self, status: int, body: str, content_type: str = "text/html; charset=utf-8") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _answer(self, query: str, user: str) -> None:
            params = dict(urllib.parse.parse_qsl(query))
            request_id, acs_url, sp_entity_id = idp.read_request(params["SAMLRequest"])
            encoded = idp.respond(
                name_id=user,
                acs_url=acs_url,
                audience=sp_entity_id,
                in_response_to=request_id,
                attributes={"groups": list(users[user]), "email": [f"{user}@example.com"]},
            )
            self._send(200, auto_post_page(acs_url, encoded, params.get("RelayState")))

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            url = urllib.parse.urlsplit(self.path)
            params = dict(urllib.parse.parse_qsl(url.query))
            try:
                if url.path == "/metadata":
                    self._send(200, idp.metadata(), "application/samlmetadata+xml")
                elif url.path == "/sso" and "SAMLRequest" in params:
                    if auto_user:
                        self._answer(url.query, auto_user)
                    else:
                        self._send(200, chooser_page(url.query, users))
                elif url.path == "/sso/choose" and params.get("user") in users:
                    self._answer(params.get("q", ""), params["user"])
                else:
                    self._send(404, "<p>Not found</p>")
            except Exception as exc:  # a demo: show what went wrong instead of a dropped connection
                self._send(400, f"<p>Bad request: {html.escape(type(exc).__name__)}</p>")

    return Handler


def serve(
    idp: DemoIdP, host: str, port: int, users: Mapping[str, Sequence[str]], *, auto_user: str | None = None
) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), make_handler(idp, users, auto_user=auto_user))


def demo_idp(state: Path, host: str, port: int) -> DemoIdP:
    """The demo IdP with its key in ``state`` (made at first run)."""
    base = f"http://{host}:{port}"
    pair = make_keypair(state / "saml", "idp", common_name="broker-demo-idp")
    return DemoIdP(state / "saml", f"{base}/metadata", f"{base}/sso", pair)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5002)
    parser.add_argument("--state", type=Path, default=Path(".demo"))
    args = parser.parse_args()
    idp = demo_idp(args.state, args.host, args.port)
    (args.state / "saml" / "idp-metadata.xml").write_text(idp.metadata())
    server = serve(idp, args.host, args.port, DEMO_USERS)
    print(f"demo IdP on http://{args.host}:{args.port}/ (metadata at /metadata)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
