"""The attack corpus: each forged, altered or misdirected response is refused with a named check.

Responses come from the pysaml2 test IdP. "Before signing" changes make a
validly signed response that says the wrong thing; "after signing" changes
are what an attacker in the middle can do.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from lxml import etree

from broker.saml import config
from tests.saml_support import ACS, NS, Sso, check_of, edit, encode, xml_of

pytestmark = [pytest.mark.django_db]

SAML = f"{{{NS['saml']}}}"
DS = f"{{{NS['ds']}}}"


def started_and_client(sso: Sso) -> tuple[Client, object]:
    client = Client()
    return client, sso.start(client)


def refusal(sso: Sso, build: Callable[[object], str]) -> str:
    """Start an SP-initiated sign-in, post what ``build`` makes of it, return the check named."""
    client, started = started_and_client(sso)
    answer = sso.post(client, build(started), started.relay)
    if answer.status_code == 303:  # refused at the same-site hop
        answer = client.get(answer["Location"])
    check = check_of(answer)
    assert "_auth_user_id" not in client.session
    return check


def assertion_of(root: etree._Element) -> etree._Element:
    return root.find(".//saml:Assertion", NS)


def set_name_id(node: etree._Element, value: str) -> None:
    node.find(".//saml:NameID", NS).text = value


def without_signature(node: etree._Element) -> etree._Element:
    clone = copy.deepcopy(node)
    for signature in clone.findall("ds:Signature", NS):
        clone.remove(signature)
    return clone


def shift_times(delta: timedelta) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        for node in root.iter():
            for name in ("IssueInstant", "NotBefore", "NotOnOrAfter", "AuthnInstant"):
                if node.get(name):
                    moment = datetime.strptime(node.get(name), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
                    node.set(name, (moment + delta).strftime("%Y-%m-%dT%H:%M:%SZ"))

    return change


# --- signatures -------------------------------------------------------------


def test_an_unsigned_response_and_assertion_are_refused(sso: Sso):
    assert refusal(sso, lambda s: sso.respond(s, sign_assertion=False)) == "signature"


def test_a_stripped_signature_is_refused(sso: Sso):
    def strip(root: etree._Element) -> None:
        assertion = assertion_of(root)
        assertion.remove(assertion.find("ds:Signature", NS))

    assert refusal(sso, lambda s: edit(sso.respond(s), strip)) == "signature"


def test_an_assertion_edited_after_signing_is_refused(sso: Sso):
    assert refusal(sso, lambda s: edit(sso.respond(s), lambda r: set_name_id(r, "admin"))) == "signature"
    assert not User.objects.filter(username="admin").exists()


def test_groups_edited_after_signing_are_refused(sso: Sso):
    def more_groups(root: etree._Element) -> None:
        for value in root.iterfind(".//saml:AttributeValue", NS):
            value.text = "admins"

    assert refusal(sso, lambda s: edit(sso.respond(s), more_groups)) == "signature"


def test_a_response_signed_by_another_key_is_refused(sso: Sso, saml_keys):
    assert refusal(sso, lambda s: sso.respond(s, key=saml_keys.attacker)) == "signature"


def test_a_response_signature_alone_does_not_stand_for_the_assertion(sso: Sso):
    """Our rule is a signed assertion; a signed envelope around an unsigned one is not enough."""
    assert refusal(sso, lambda s: sso.respond(s, sign_assertion=False, sign_response=True)) == "signature"


# --- signature wrapping (XSW1 to XSW8) ----------------------------------------


def evil_assertion(original: etree._Element, *, new_id: bool = True) -> etree._Element:
    evil = without_signature(original)
    set_name_id(evil, "mallory")
    if new_id:
        evil.set("ID", "_evil" + original.get("ID"))
    return evil


def xsw1(root: etree._Element) -> etree._Element:
    """Evil response at the root; the signed original hidden inside the signature."""
    signature = root.find("ds:Signature", NS)
    evil = without_signature(root)
    evil.set("ID", "_evil" + root.get("ID"))
    set_name_id(evil, "mallory")
    original = without_signature(root)
    signature_copy = copy.deepcopy(signature)
    signature_copy.append(original)
    evil.insert(1, signature_copy)
    return evil


def xsw2(root: etree._Element) -> etree._Element:
    """Evil response at the root; the signed original beside a detached signature."""
    signature = root.find("ds:Signature", NS)
    evil = without_signature(root)
    evil.set("ID", "_evil" + root.get("ID"))
    set_name_id(evil, "mallory")
    evil.insert(1, without_signature(root))
    evil.insert(2, copy.deepcopy(signature))
    return evil


def xsw3(root: etree._Element) -> etree._Element:
    """An evil assertion before the signed one."""
    original = assertion_of(root)
    original.addprevious(evil_assertion(original))
    return root


def xsw4(root: etree._Element) -> etree._Element:
    """The signed assertion wrapped inside an evil one."""
    original = assertion_of(root)
    evil = evil_assertion(original)
    original.addprevious(evil)
    evil.append(original)
    return root


def xsw5(root: etree._Element) -> etree._Element:
    """The signed assertion altered in place; an unaltered unsigned copy appended to the response."""
    original = assertion_of(root)
    root.append(without_signature(original))
    set_name_id(original, "mallory")
    return root


def xsw6(root: etree._Element) -> etree._Element:
    """The signed assertion altered; an unaltered copy hidden inside its signature."""
    original = assertion_of(root)
    pristine = without_signature(original)
    original.find("ds:Signature", NS).append(pristine)
    set_name_id(original, "mallory")
    return root


def xsw7(root: etree._Element) -> etree._Element:
    """The signed assertion moved into an Extensions block; an evil one with its ID takes its place."""
    original = assertion_of(root)
    evil = evil_assertion(original, new_id=False)
    extensions = etree.Element(f"{{{NS['samlp']}}}Extensions")
    original.addprevious(extensions)
    extensions.append(original)
    extensions.addnext(evil)
    return root


def xsw8(root: etree._Element) -> etree._Element:
    """An evil assertion keeping the signature, whose ds:Object carries the unsigned original."""
    original = assertion_of(root)
    signature = original.find("ds:Signature", NS)
    pristine = without_signature(original)
    set_name_id(original, "mallory")
    holder = etree.SubElement(signature, f"{DS}Object")
    holder.append(pristine)
    return root


@pytest.mark.parametrize("wrap", [xsw1, xsw2, xsw3, xsw4, xsw5, xsw6, xsw7, xsw8], ids=lambda f: f.__name__)
def test_signature_wrapping_is_refused(sso: Sso, wrap):
    response_signed = wrap in (xsw1, xsw2)

    def build(started) -> str:  # type: ignore[no-untyped-def]
        signed = sso.respond(started, sign_response=response_signed)
        return encode(wrap(xml_of(signed)))

    assert refusal(sso, build) in {"signature", "assertion"}
    assert not User.objects.filter(username="mallory").exists()


# --- time, audience, addressing, issuer -------------------------------------------


def test_an_expired_assertion_is_refused(sso: Sso):
    assert (
        refusal(sso, lambda s: sso.respond(s, before_signing=shift_times(timedelta(hours=-1)))) == "expired"
    )


def test_a_not_yet_valid_assertion_is_refused(sso: Sso):
    check = refusal(sso, lambda s: sso.respond(s, before_signing=shift_times(timedelta(hours=1))))
    assert check == "not-yet-valid"


def test_a_wrong_audience_is_refused(sso: Sso):
    assert refusal(sso, lambda s: sso.respond(s, audience="https://other-sp.example/")) == "audience"


def test_a_missing_audience_is_refused(sso: Sso):
    def drop(root: etree._Element) -> None:
        conditions = root.find(".//saml:Conditions", NS)
        for restriction in conditions.findall("saml:AudienceRestriction", NS):
            conditions.remove(restriction)

    assert refusal(sso, lambda s: sso.respond(s, before_signing=drop)) == "audience"


def set_destination(value: str) -> Callable[[etree._Element], None]:
    return lambda root: root.set("Destination", value)


def set_recipient(value: str) -> Callable[[etree._Element], None]:
    return lambda root: root.find(".//saml:SubjectConfirmationData", NS).set("Recipient", value)


@pytest.mark.parametrize(
    "destination", ["https://evil.example/saml/acs/", ACS + "extra", ACS + "?x=1", ACS.rstrip("/")]
)
def test_a_wrong_or_prefix_extended_destination_is_refused(sso: Sso, destination: str):
    check = refusal(sso, lambda s: sso.respond(s, before_signing=set_destination(destination)))
    assert check == "destination"


def test_a_missing_destination_is_refused(sso: Sso):
    def drop(root: etree._Element) -> None:
        del root.attrib["Destination"]

    assert refusal(sso, lambda s: sso.respond(s, before_signing=drop)) == "destination"


@pytest.mark.parametrize("recipient", ["https://evil.example/saml/acs/", ACS + "extra", "x" + ACS])
def test_a_wrong_or_prefix_extended_recipient_is_refused(sso: Sso, recipient: str):
    check = refusal(sso, lambda s: sso.respond(s, before_signing=set_recipient(recipient)))
    assert check in {"recipient", "subject-confirmation"}


def test_the_host_header_does_not_move_the_acs(sso: Sso, settings):
    settings.ALLOWED_HOSTS = ["*"]
    client, started = started_and_client(sso)
    evil_acs = "http://evil.example/saml/acs/"
    encoded = sso.respond(started, acs_url=evil_acs)
    assert check_of(sso.post(client, encoded, started.relay, HTTP_HOST="evil.example")) == "destination"


def test_a_wrong_issuer_is_refused(sso: Sso):
    def change(root: etree._Element) -> None:
        for issuer in root.iter(f"{SAML}Issuer"):
            issuer.text = "https://evil-idp.example/metadata"

    assert refusal(sso, lambda s: sso.respond(s, before_signing=change)) == "issuer"


# --- solicitation, browsers, replay ------------------------------------------------


def test_an_unsolicited_response_is_refused_when_idp_initiated_is_off(sso: Sso):
    assert check_of(sso.post(Client(), sso.respond(None), None)) == "unsolicited"


def test_a_response_naming_an_unknown_request_is_refused(sso: Sso, saml_on):
    saml_on.SAML_ALLOW_IDP_INITIATED = True
    client, started = started_and_client(sso)
    assert check_of(sso.post(client, sso.respond(started), "forged-relay")) == "request"


def test_a_response_to_another_request_of_the_same_browser_is_refused(sso: Sso):
    client = Client()
    first = sso.start(client)
    second = sso.start(client)
    assert check_of(sso.post(client, sso.respond(first), second.relay)) == "request"


def test_a_response_to_another_browsers_request_is_refused(sso: Sso):
    victim, attacker = Client(), Client()
    attackers_start = sso.start(attacker)
    sso.start(victim)  # the victim has a sign-in of its own under way
    answer = sso.post(victim, sso.respond(attackers_start, name_id="mallory"), attackers_start.relay)
    assert check_of(sso.finish(victim, answer)) == "browser"
    assert "_auth_user_id" not in victim.session


def test_the_same_response_twice_is_refused(sso: Sso, saml_on):
    saml_on.SAML_ALLOW_IDP_INITIATED = True
    encoded = sso.respond(None)
    first = Client()
    assert sso.finish(first, sso.post(first, encoded, None)).status_code == 302
    assert check_of(sso.post(Client(), encoded, None)) == "replay"


def test_an_sp_initiated_response_works_once(sso: Sso):
    client, started = started_and_client(sso)
    encoded = sso.respond(started)
    assert sso.post(client, encoded, started.relay).status_code == 303
    assert check_of(sso.post(client, encoded, started.relay)) == "request"


def test_a_replay_after_a_restart_is_refused(sso: Sso, saml_on):
    saml_on.SAML_ALLOW_IDP_INITIATED = True
    encoded = sso.respond(None)
    first = Client()
    sso.finish(first, sso.post(first, encoded, None))
    config.reset()  # a new process: no in-memory state survives, Redis does
    assert check_of(sso.post(Client(), encoded, None)) == "replay"


def test_a_hand_off_works_once(sso: Sso):
    client, started = started_and_client(sso)
    answer = sso.post(client, sso.respond(started), started.relay)
    assert sso.finish(client, answer).status_code == 302
    assert check_of(client.get(answer["Location"])) == "handoff"


# --- parsing: DOCTYPE, transforms, algorithms, size -----------------------------------


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&c;</samlp:Response>'
)


def test_entity_expansion_is_refused(sso: Sso):
    assert check_of(sso.post(Client(), b64(BILLION_LAUGHS), None)) == "doctype"


def test_a_doctype_before_a_signed_response_is_refused(sso: Sso):
    def with_doctype(started) -> str:  # type: ignore[no-untyped-def]
        xml = base64.b64decode(sso.respond(started)).decode().split("?>", 1)[-1]
        return b64('<?xml version="1.0"?><!DOCTYPE Response [<!ENTITY x "alice">]>' + xml)

    assert refusal(sso, with_doctype) == "doctype"


def test_an_external_entity_is_refused(sso: Sso):
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:Response>'
    )
    assert check_of(sso.post(Client(), b64(xxe), None)) == "doctype"


def add_transform(algorithm: str, body: str = "") -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        transforms = assertion_of(root).find("ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms", NS)
        transform = etree.SubElement(transforms, f"{DS}Transform", Algorithm=algorithm)
        if body:
            transform.append(etree.fromstring(body))

    return change


XSLT = (
    '<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">'
    '<xsl:template match="/"><xsl:value-of select="unparsed-text(\'/etc/passwd\')"/></xsl:template>'
    "</xsl:stylesheet>"
)


def test_an_xslt_transform_is_refused_before_verification(sso: Sso):
    change = add_transform("http://www.w3.org/TR/1999/REC-xslt-19991116", XSLT)
    assert refusal(sso, lambda s: edit(sso.respond(s), change)) == "transform"


def test_an_xpath_transform_is_refused(sso: Sso):
    change = add_transform("http://www.w3.org/TR/1999/REC-xpath-19991116")
    assert refusal(sso, lambda s: edit(sso.respond(s), change)) == "transform"


def test_sha1_is_refused(sso: Sso):
    def sha1(root: etree._Element) -> None:
        method = assertion_of(root).find("ds:Signature/ds:SignedInfo/ds:SignatureMethod", NS)
        method.set("Algorithm", "http://www.w3.org/2000/09/xmldsig#rsa-sha1")

    assert refusal(sso, lambda s: edit(sso.respond(s), sha1)) == "algorithm"


def test_an_oversized_response_is_refused(sso: Sso, settings):
    huge = b64("<x>" + "a" * (settings.SAML_MAX_RESPONSE_BYTES + 10) + "</x>")
    assert check_of(sso.post(Client(), huge, None)) == "size"


@pytest.mark.parametrize(
    "posted",
    ["", "!!!not base64!!!", b64("just text"), b64("<not-closed"), b64("<a>no saml</a>")],
    ids=["empty", "not-base64", "not-xml", "broken-xml", "not-saml"],
)
def test_malformed_responses_are_a_400_not_a_500(sso: Sso, posted: str):
    assert check_of(sso.post(Client(), posted, None)) in {"malformed", "invalid"}


def test_a_get_on_the_acs_is_refused(sso: Sso):
    assert Client().get("/saml/acs/").status_code == 405


# --- NameID comment injection ---------------------------------------------------------------


def test_a_comment_in_the_name_id_yields_the_whole_signed_name(sso: Sso):
    """exc-c14n drops comments, so one can be added after signing; the name must not be cut at it."""

    def inject(root: etree._Element) -> None:
        name_id = root.find(".//saml:NameID", NS)
        comment = etree.Comment("")
        comment.tail = ".attacker"
        name_id.text = "alice"
        name_id.append(comment)

    client, started = started_and_client(sso)
    encoded = edit(sso.respond(started, name_id="alice.attacker"), inject)
    assert sso.finish(client, sso.post(client, encoded, started.relay)).status_code == 302
    assert client.get("/").context["user"].username == "alice.attacker"
    assert not User.objects.filter(username="alice").exists()
