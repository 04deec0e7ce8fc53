"""SAML test fixtures: an IdP that is not us (pysaml2 + xmlsec1) and the broker set up to trust it.

Keys and certificates are made at test time, once per session. ``sso``
drives the browser side with Django's test client: start at /saml/login/,
let the IdP answer the AuthnRequest, post to the ACS, follow the hand-off.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from lxml import etree

from broker.saml import config
from devtools.demo_idp import DemoIdP, KeyPair, make_keypair

BASE = "http://127.0.0.1:8000"
ACS = f"{BASE}/saml/acs/"
ENTITY = f"{BASE}/saml/metadata/"
IDP_ENTITY = "https://idp.example.test/metadata"
IDP_SSO = "https://idp.example.test/sso"
NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}


@dataclass(frozen=True)
class Keys:
    idp: KeyPair
    next_idp: KeyPair  # the IdP's next certificate, for a rollover
    attacker: KeyPair  # a key the broker has never seen


@pytest.fixture(scope="session")
def saml_keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    folder = tmp_path_factory.mktemp("saml-keys")
    return Keys(*(make_keypair(folder, name) for name in ("idp", "next-idp", "attacker")))


@pytest.fixture(scope="session")
def idp(saml_keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> DemoIdP:
    return DemoIdP(tmp_path_factory.mktemp("idp"), IDP_ENTITY, IDP_SSO, saml_keys.idp)


def write_metadata(folder: Path, idp: DemoIdP, published: list[KeyPair]) -> Path:
    from devtools.demo_idp import metadata_xml

    path = folder / "idp-metadata.xml"
    path.write_text(metadata_xml(idp.entity_id, idp.sso_url, published))
    return path


@pytest.fixture
def saml_on(settings, tmp_path: Path, idp: DemoIdP, saml_keys: Keys, db) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """The broker with SAML on, trusting the test IdP's current certificate."""
    settings.BROKER_BASE_URL = BASE
    settings.SAML_IDP_METADATA_FILE = str(write_metadata(tmp_path, idp, [saml_keys.idp]))
    settings.SAML_IDP_METADATA_URL = ""
    settings.SAML_ALLOW_IDP_INITIATED = False
    settings.SAML_SP_CERT_FILE = settings.SAML_SP_KEY_FILE = ""
    config.reset()
    yield settings
    config.reset()


@dataclass
class Started:
    request_id: str
    relay: str
    location: str


class Sso:
    """The browser's side of a SAML sign-in, step by step."""

    def __init__(self, idp: DemoIdP) -> None:
        self.idp = idp

    def start(self, client: Client, next_url: str | None = None) -> Started:
        answer = client.get("/saml/login/", {"next": next_url} if next_url else {})
        assert answer.status_code == 302, answer.content[:500]
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(answer["Location"]).query))
        request_id, acs_url, sp_entity = self.idp.read_request(params["SAMLRequest"])
        assert (acs_url, sp_entity) == (ACS, ENTITY)
        return Started(request_id, params["RelayState"], answer["Location"])

    def respond(self, started: Started | None = None, *, name_id: str = "alice", **options: Any) -> str:
        options.setdefault("attributes", {"groups": ["developers"], "email": [f"{name_id}@example.com"]})
        options.setdefault("acs_url", ACS)
        options.setdefault("audience", ENTITY)
        in_response_to = started.request_id if started else None
        return self.idp.respond(name_id=name_id, in_response_to=in_response_to, **options)

    def post(self, client: Client, encoded: str, relay: str | None, **extra: Any):  # type: ignore[no-untyped-def]
        data = {"SAMLResponse": encoded}
        if relay is not None:
            data["RelayState"] = relay
        return client.post("/saml/acs/", data, **extra)

    def finish(self, client: Client, acs_answer):  # type: ignore[no-untyped-def]
        assert acs_answer.status_code == 303, acs_answer.content[:800]
        return client.get(acs_answer["Location"])

    def sign_in(self, client: Client, *, name_id: str = "alice", next_url: str | None = None, **options: Any):  # type: ignore[no-untyped-def]
        started = self.start(client, next_url)
        encoded = self.respond(started, name_id=name_id, **options)
        return self.finish(client, self.post(client, encoded, started.relay))


@pytest.fixture
def sso(saml_on, idp: DemoIdP) -> Sso:  # type: ignore[no-untyped-def]
    return Sso(idp)


def check_of(answer) -> str:  # type: ignore[no-untyped-def]
    """The check a refusal names (the page carries it in #saml-check)."""
    assert answer.status_code == 400, (answer.status_code, answer.content[:500])
    text = answer.content.decode()
    marker = 'id="saml-check">'
    return text.split(marker, 1)[1].split("<", 1)[0]


def xml_of(encoded: str) -> etree._Element:
    return etree.fromstring(base64.b64decode(encoded))


def encode(root: etree._Element) -> str:
    return base64.b64encode(etree.tostring(root)).decode()


def edit(encoded: str, change: Callable[[etree._Element], None]) -> str:
    """Change a response after it was signed."""
    root = xml_of(encoded)
    change(root)
    return encode(root)
