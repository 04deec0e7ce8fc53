"""Fixtures for keyless federation: the broker's AWS signing pairs and its SAML provider in moto.

``keyless`` points the broker at the stand-in's ``/saml`` (AWS's SAML sign-in)
and registers the broker's metadata in moto's IAM with the real
``manage.py awssamlprovider``, so the stand-in verifies assertions against
the certificate IAM holds, as AWS would.
"""

from __future__ import annotations

import base64
import io
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from lxml import etree

from federation.samlidp.keys import generate_pair


@dataclass(frozen=True)
class Pair:
    key: Path
    cert: Path


def make_pair(folder: Path, name: str, *, bits: int = 2048) -> Pair:
    key_pem, cert_pem = generate_pair(f"test {name}", bits=bits)
    (folder / f"{name}.key").write_bytes(key_pem)
    (folder / f"{name}.crt").write_bytes(cert_pem)
    return Pair(folder / f"{name}.key", folder / f"{name}.crt")


@pytest.fixture(scope="session")
def aws_saml_pair(tmp_path_factory) -> Pair:  # type: ignore[no-untyped-def]
    return make_pair(tmp_path_factory.mktemp("aws-saml"), "current")


@pytest.fixture(scope="session")
def aws_saml_next_pair(tmp_path_factory) -> Pair:  # type: ignore[no-untyped-def]
    return make_pair(tmp_path_factory.mktemp("aws-saml-next"), "next")


def use_pair(settings, pair: Pair, *, next_cert: Path | None = None) -> None:  # type: ignore[no-untyped-def]
    settings.BROKER_AWS_SAML_KEY_FILE = str(pair.key)
    settings.BROKER_AWS_SAML_KEY = ""
    settings.BROKER_AWS_SAML_CERT_FILE = str(pair.cert)
    settings.BROKER_AWS_SAML_NEXT_CERT_FILE = str(next_cert) if next_cert else ""


def register_provider() -> str:
    out = io.StringIO()
    call_command("awssamlprovider", stdout=out)
    return out.getvalue()


@pytest.fixture
def keyless(aws, signin_endpoint, grants, settings, aws_saml_pair) -> str:  # type: ignore[no-untyped-def]
    """The broker signing with ``aws_saml_pair``, trusted by moto's IAM; returns the /saml endpoint."""
    use_pair(settings, aws_saml_pair)
    endpoint = signin_endpoint.rsplit("/", 1)[0] + "/saml"
    settings.BROKER_SAML_SIGNIN_URL = endpoint
    register_provider()
    return endpoint


def form_fields(page: str) -> tuple[str, dict[str, str]]:
    """The console hop page's form action and fields."""
    html = etree.HTML(page)
    form = html.find(".//form[@id='saml-post']")
    fields = {field.get("name"): field.get("value") for field in form.iterfind(".//input")}
    return form.get("action"), fields


def post_form(action: str, fields: dict[str, str]) -> tuple[int, str]:
    """What the browser does with the page's form: POST it to AWS's (the stand-in's) /saml."""
    body = urllib.parse.urlencode(fields).encode()
    try:
        with urllib.request.urlopen(action, data=body, timeout=10) as answer:  # noqa: S310 - loopback
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def decoded(fields: dict[str, str]) -> bytes:
    return base64.b64decode(fields["SAMLResponse"])
