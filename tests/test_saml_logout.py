"""SAML single logout against the pysaml2 IdP: signing out of the portal also signs out at the IdP,
and the IdP's own LogoutRequest ends portal sessions; forged, unsigned, replayed and unsolicited
messages are refused and change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client

from broker.models import AuditEvent
from broker.saml import config
from devtools.demo_idp import DemoIdP, KeyPair, make_keypair
from tests.saml_support import BASE, ENTITY, IDP_ENTITY, IDP_SSO, Keys, Sso, check_of

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

IDP_SLO = "https://idp.example.test/slo"
SLS = f"{BASE}/saml/sls/"


@pytest.fixture(scope="session")
def sp_keys(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    return make_keypair(tmp_path_factory.mktemp("sp-keys"), "sp", common_name="broker-sp")


@pytest.fixture(scope="session")
def slo_idp(saml_keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> DemoIdP:
    return DemoIdP(tmp_path_factory.mktemp("slo-idp"), IDP_ENTITY, IDP_SSO, saml_keys.idp, slo_url=IDP_SLO)


@pytest.fixture
def slo(saml_on, slo_idp: DemoIdP, sp_keys: KeyPair, tmp_path: Path) -> Iterator[Sso]:  # type: ignore[no-untyped-def]
    """The broker trusting an IdP that publishes SLO, and signing its own logout messages."""
    path = tmp_path / "slo-metadata.xml"
    path.write_text(slo_idp.metadata())
    saml_on.SAML_IDP_METADATA_FILE = str(path)
    saml_on.SAML_SP_CERT_FILE, saml_on.SAML_SP_KEY_FILE = str(sp_keys.cert_file), str(sp_keys.key_file)
    config.reset()
    yield Sso(slo_idp)
    config.reset()


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def signed_in_alice(sso: Sso) -> Client:
    client = Client()
    assert sso.sign_in(client, name_id="alice").status_code == 302
    assert client.get("/").status_code == 200
    return client


def signed_out(client: Client) -> bool:
    answer = client.get("/")
    return answer.status_code == 302 and answer["Location"].startswith("/login/")


# --- SP-initiated ------------------------------------------------------------------


def test_signing_out_of_the_portal_signs_out_at_the_idp_too(slo: Sso, slo_idp: DemoIdP, sp_keys: KeyPair):
    client = signed_in_alice(slo)
    index = client.session["saml_session_index"]

    leaving = client.post("/logout/")

    assert leaving.status_code == 302 and leaving["Location"].startswith(IDP_SLO + "?")
    assert signed_out(client)  # the portal session ended first, whatever the IdP does
    sent = query(leaving["Location"])
    request = slo_idp.read_logout_request(sent, sp_cert=sp_keys)  # signed by the SP's key
    assert request.name_id.text == "alice" and [i.text for i in request.session_index] == [index]
    assert request.issuer.text == ENTITY and request.destination == IDP_SLO

    back = client.get(local(slo_idp.logout_response(request.id, SLS, sent["RelayState"])))

    assert back.status_code == 302 and back["Location"] == "/login/"
    event = AuditEvent.objects.get(action="saml.logout")
    assert event.detail == {"initiated_by": "portal", "idp": "confirmed"}


def test_an_idp_without_slo_gets_no_logout_request(sso: Sso):
    client = signed_in_alice(sso)
    assert client.post("/logout/")["Location"] == "/login/"
    assert signed_out(client)


def test_a_password_session_signs_out_locally_only(slo: Sso, alice_client: Client):
    assert alice_client.post("/logout/")["Location"] == "/login/"


def test_a_logout_response_is_accepted_once_and_only_in_answer_to_ours(slo: Sso, slo_idp: DemoIdP):
    client = signed_in_alice(slo)
    sent = query(client.post("/logout/")["Location"])
    request = slo_idp.read_logout_request(sent)
    answer = local(slo_idp.logout_response(request.id, SLS, sent["RelayState"]))
    assert client.get(answer).status_code == 302
    assert check_of(client.get(answer)) == "solicited"  # the flow was used up
    unsolicited = local(slo_idp.logout_response("id-never-sent", SLS, "x" * 43))
    assert check_of(Client().get(unsolicited)) == "solicited"


def test_a_forged_or_failed_logout_response_is_refused(slo: Sso, slo_idp: DemoIdP, saml_keys: Keys):
    client = signed_in_alice(slo)
    sent = query(client.post("/logout/")["Location"])
    request = slo_idp.read_logout_request(sent)
    forged = slo_idp.logout_response(request.id, SLS, sent["RelayState"], key=saml_keys.attacker)
    assert check_of(client.get(local(forged))) == "signature"

    client = signed_in_alice(slo)
    sent = query(client.post("/logout/")["Location"])
    request = slo_idp.read_logout_request(sent)
    failed = slo_idp.logout_response(request.id, SLS, sent["RelayState"], success=False)
    assert check_of(client.get(local(failed))) == "logout"


# --- IdP-initiated -----------------------------------------------------------------


def idp_logout(slo_idp: DemoIdP, name_id: str = "alice", **options: Any) -> tuple[str, str]:
    request_id, url = slo_idp.logout_request(
        name_id=name_id, destination=SLS, sp_entity_id=ENTITY, relay="idp-relay", **options
    )
    return request_id, local(url)


def test_an_idp_logout_request_ends_the_portal_session_and_is_answered(
    slo: Sso, slo_idp: DemoIdP, sp_keys: KeyPair
):
    alice = signed_in_alice(slo)
    request_id, url = idp_logout(slo_idp)

    answer = Client().get(url)  # the IdP's redirect may arrive without the portal's cookie

    assert answer.status_code == 302 and answer["Location"].startswith(IDP_SLO + "?")
    assert signed_out(alice)
    returned = query(answer["Location"])
    assert returned["RelayState"] == "idp-relay" and "Signature" in returned
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.sigver import RSACrypto, verify_redirect_signature

    assert verify_redirect_signature(returned, RSACrypto(None), cert=sp_keys.cert_b64)
    response = slo_idp.server.parse_logout_request_response(returned["SAMLResponse"], BINDING_HTTP_REDIRECT)
    assert response.response.in_response_to == request_id
    assert response.response.status.status_code.value == "urn:oasis:names:tc:SAML:2.0:status:Success"
    event = AuditEvent.objects.get(action="saml.logout")
    assert (event.actor, event.detail) == ("alice", {"initiated_by": "idp", "sessions": 1})


def test_an_idp_logout_request_through_the_same_browser_signs_it_out(slo: Sso, slo_idp: DemoIdP):
    alice = signed_in_alice(slo)
    answer = alice.get(idp_logout(slo_idp)[1])
    assert answer.status_code == 302 and answer["Location"].startswith(IDP_SLO)
    assert signed_out(alice)


def test_only_the_named_session_index_and_person_are_signed_out(slo: Sso, slo_idp: DemoIdP):
    first, second = signed_in_alice(slo), signed_in_alice(slo)
    bob = Client()
    slo.sign_in(bob, name_id="bob", attributes={"groups": ["auditors"]})
    Client().get(idp_logout(slo_idp, session_indexes=[first.session["saml_session_index"]])[1])
    assert signed_out(first)
    assert not signed_out(second) and not signed_out(bob)


def test_a_forged_logout_request_is_refused_and_ends_nothing(slo: Sso, slo_idp: DemoIdP, saml_keys: Keys):
    alice = signed_in_alice(slo)
    _, forged = idp_logout(slo_idp, key=saml_keys.attacker)

    assert check_of(Client().get(forged)) == "signature"

    assert not signed_out(alice)
    refusal = AuditEvent.objects.get(action="saml.refused")
    assert refusal.detail["check"] == "signature"
    assert not AuditEvent.objects.filter(action="saml.logout").exists()


def test_an_unsigned_logout_request_is_refused(slo: Sso, slo_idp: DemoIdP):
    alice = signed_in_alice(slo)
    url = idp_logout(slo_idp)[1]
    unsigned = "&".join(
        part for part in url.split("?", 1)[1].split("&") if not part.startswith(("Signature=", "SigAlg="))
    )
    assert check_of(Client().get(f"/saml/sls/?{unsigned}")) == "signature"
    assert not signed_out(alice)


def test_a_replayed_logout_request_is_refused(slo: Sso, slo_idp: DemoIdP):
    signed_in_alice(slo)
    url = idp_logout(slo_idp)[1]
    assert Client().get(url).status_code == 302
    later = signed_in_alice(slo)
    assert check_of(Client().get(url)) == "replay"
    assert not signed_out(later)
