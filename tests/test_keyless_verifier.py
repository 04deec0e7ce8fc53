"""The stand-in's POST /saml checks what AWS checks, so a passing console test proves a real signature.

moto's AssumeRoleWithSAML accepts anything; these tests show the stand-in is no
rubber stamp: each attack the issue names is refused on its own, the genuine
assertion passes, and the signature also verifies with the ``xmlsec1`` program.
"""

from __future__ import annotations

import base64
import copy
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from broker.principal import Principal
from federation.models import Role
from federation.samlidp import assertion, session
from tests.keyless_support import make_pair, post_form, use_pair

NS = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion", "ds": "http://www.w3.org/2000/09/xmldsig#"}
ALICE = Principal("alice", frozenset({"developers"}))


def signed(endpoint: str, **overrides) -> str:  # type: ignore[no-untyped-def]
    """A Response the broker signs for alice in prod-keyless; ``overrides`` go to ``assertion.build``."""
    role = Role.objects.select_related("account").get(alias="prod-keyless")
    claims = session.claims_for(role, ALICE, duration_seconds=3600)
    options = {"endpoint": endpoint, "audience": "https://signin.aws.amazon.com/saml", "username": "alice"}
    return assertion.build(claims, **{**options, **overrides}).encoded


def edited(encoded: str, change) -> str:  # type: ignore[no-untyped-def]
    root = etree.fromstring(base64.b64decode(encoded))
    change(root)
    return base64.b64encode(etree.tostring(root)).decode()


def refusal(endpoint: str, encoded: str) -> str:
    status, page = post_form(
        endpoint, {"SAMLResponse": encoded, "RelayState": "https://console.aws.amazon.com/"}
    )
    assert status == 403, page
    return page


@pytest.mark.django_db
def test_the_genuine_assertion_signs_in(keyless):
    status, page = post_form(keyless, {"SAMLResponse": signed(keyless)})
    assert status == 200
    assert "assumed-role/Keyless/alice" in page


@pytest.mark.django_db
def test_a_tampered_assertion_is_refused(keyless):
    def promote(root):  # type: ignore[no-untyped-def]
        for value in root.iterfind(".//saml:AttributeValue", NS):
            value.text = value.text.replace("role/Keyless", "role/Developer")

    assert "invalid SAML response" in refusal(keyless, edited(signed(keyless), promote))


@pytest.mark.django_db
def test_an_unsigned_assertion_is_refused(keyless):
    def strip(root):  # type: ignore[no-untyped-def]
        signature = root.find(".//ds:Signature", NS)
        signature.getparent().remove(signature)

    assert "no signature by a certificate of the SAML provider" in refusal(
        keyless, edited(signed(keyless), strip)
    )


@pytest.mark.django_db
def test_an_assertion_signed_by_another_key_is_refused(keyless, settings, tmp_path):
    use_pair(settings, make_pair(tmp_path, "intruder"))  # a key IAM has never seen
    assert "no signature by a certificate of the SAML provider" in refusal(keyless, signed(keyless))


@pytest.mark.django_db
def test_an_expired_assertion_is_refused(keyless):
    old = signed(keyless, now=datetime.now(UTC) - timedelta(minutes=10))
    assert "the assertion has expired" in refusal(keyless, old)


@pytest.mark.django_db
def test_an_assertion_addressed_elsewhere_is_refused(keyless):
    elsewhere = signed("https://signin.aws.amazon.com/saml")  # AWS's real endpoint, not this one
    assert "Destination is not this endpoint" in refusal(keyless, elsewhere)

    def redirect(root):  # type: ignore[no-untyped-def]
        root.set("Destination", keyless)  # the Response is unsigned; the Recipient inside is

    assert "the Recipient is not this endpoint" in refusal(keyless, edited(elsewhere, redirect))


@pytest.mark.django_db
def test_an_assertion_for_another_audience_is_refused(keyless):
    assert "AWS is not an Audience" in refusal(keyless, signed(keyless, audience="https://other.example/sp"))


def _wrap_before(root):  # type: ignore[no-untyped-def]
    """XSW: a forged Assertion first, the signed original kept after it for the signature to find."""
    original = root.find("saml:Assertion", NS)
    forged = copy.deepcopy(original)
    forged.set("ID", "_forged")
    forged.remove(forged.find("ds:Signature", NS))
    for value in forged.iterfind(".//saml:AttributeValue", NS):
        value.text = value.text.replace("role/Keyless", "role/Developer").replace("alice", "admin")
    original.addprevious(forged)


def _wrap_inside(root):  # type: ignore[no-untyped-def]
    """XSW: the signed original hidden inside the forged Assertion's Signature object."""
    original = root.find("saml:Assertion", NS)
    forged = copy.deepcopy(original)
    forged.set("ID", "_forged")
    for value in forged.iterfind(".//saml:AttributeValue", NS):
        value.text = value.text.replace("role/Keyless", "role/Developer")
    holder = etree.SubElement(forged.find("ds:Signature", NS), f"{{{NS['ds']}}}Object")
    root.replace(original, forged)
    holder.append(original)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("wrap", "reason"),
    [
        (_wrap_before, "the Response holds 2 Assertions; exactly one is allowed"),
        # The forged copy's Signature comes first and no longer matches what it references.
        (_wrap_inside, "no signature by a certificate of the SAML provider"),
    ],
    ids=["forged-first", "original-inside"],
)
def test_a_signature_wrapped_assertion_is_refused(keyless, wrap, reason):
    page = refusal(keyless, edited(signed(keyless), wrap))
    assert reason in page
    assert "Developer" not in page


@pytest.mark.django_db
def test_an_assertion_is_taken_once(keyless):
    once = signed(keyless)
    assert post_form(keyless, {"SAMLResponse": once})[0] == 200
    assert "already used" in refusal(keyless, once)


@pytest.mark.django_db
def test_the_signature_verifies_with_the_independent_xmlsec1_program(keyless, aws_saml_pair, tmp_path):
    document = tmp_path / "response.xml"
    document.write_bytes(base64.b64decode(signed(keyless)))
    argv = ["xmlsec1", "--verify", "--pubkey-cert-pem", str(aws_saml_pair.cert),
            "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", str(document)]  # fmt: skip
    run = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    assert run.returncode == 0, run.stderr
    assert "OK" in run.stdout + run.stderr
    tampered = document.read_text().replace(
        'SessionDuration"><saml:AttributeValue>3600', 'SessionDuration"><saml:AttributeValue>43200'
    )
    document.write_text(tampered)
    assert subprocess.run(argv, capture_output=True, timeout=30, check=False).returncode != 0  # noqa: S603
