"""Every path, logged at DEBUG with botocore and urllib3 at DEBUG too, leaves no credential in a log line.

The flow: a password sign-in, a SAML sign-in, portal CLI credentials and a
console URL, a personal token, and the API's session, container, process and
console-url answers. Each secret the flow produced is looked for, whole and as
a fragment, in the text the log handler wrote (tracebacks included).
"""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.test import Client

from broker.redaction import RedactSecretsFilter, redact
from tests.conftest import PASSWORD
from tests.saml_support import Sso

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

TOKEN = re.compile(r"brk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def fragments(secret: str) -> list[str]:
    return [secret, secret[8:32]] if len(secret) > 32 else [secret]


@pytest.fixture
def debug_log(caplog):  # type: ignore[no-untyped-def]
    """Everything logged at DEBUG, through the redaction filter every real handler has."""
    caplog.handler.addFilter(RedactSecretsFilter())
    caplog.handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    with (
        caplog.at_level(logging.DEBUG),
        caplog.at_level(logging.DEBUG, logger="botocore"),
        caplog.at_level(logging.DEBUG, logger="urllib3"),
    ):
        yield caplog


def test_a_full_flow_at_debug_leaves_no_secret_in_the_log(debug_log, api, billing_token, alice, sso: Sso):
    secrets: list[str] = [billing_token, PASSWORD]

    # People: a password sign-in, a SAML sign-in, the portal's credentials and console URL.
    browser = Client()
    assert browser.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    page = browser.post("/roles/prod-developer/credentials/", follow=True).content.decode()
    secrets += re.findall(r"export AWS_(?:SECRET_ACCESS_KEY|SESSION_TOKEN)='?([^'\n]+)", page)
    console = browser.post("/roles/prod-developer/console/")
    secrets.append(re.search(r"SigninToken=([^&]+)", console["Location"]).group(1))
    tokens_page = browser.post("/tokens/", {"label": "laptop", "days": "1"}).content.decode()
    secrets.append(TOKEN.search(tokens_page).group(0))

    saml_browser = Client()
    started = sso.start(saml_browser)
    encoded = sso.respond(started, name_id="alice")
    sso.finish(saml_browser, sso.post(saml_browser, encoded, started.relay))
    secrets.append(encoded)

    # Applications: every delivery format and a console URL.
    session = api.post(
        "/api/v1/sessions/", {"role": "prod-developer"}, content_type="application/json"
    ).json()
    container = api.get("/api/v1/roles/prod-s3-reader/credentials").json()
    process = api.get("/api/v1/roles/prod-s3-reader/credentials?format=process").json()
    url = api.post("/api/v1/console-url/", {"role": "prod-developer"}, content_type="application/json").json()
    secrets += [session["SecretAccessKey"], session["SessionToken"], container["SecretAccessKey"]]
    secrets += [container["Token"], process["SessionToken"]]
    secrets.append(re.search(r"SigninToken=([^&]+)", url["url"]).group(1))

    logged = debug_log.text
    assert any(r.name.startswith("botocore") for r in debug_log.records), "botocore was not logging"
    assert len(secrets) == 13 and all(secrets)
    for secret in secrets:
        for fragment in fragments(secret):
            assert fragment not in logged, f"a secret reached the log: {fragment[:6]}..."
    assert session["AccessKeyId"] in json.dumps(session)  # AccessKeyIds may be logged; they are not secrets


def test_a_traceback_quoting_a_credential_is_redacted(debug_log):
    token = "brk_0123456789ab_" + "S" * 43
    try:
        raise ValueError(f"could not use {token} with SessionToken={'T' * 60}")
    except ValueError:
        logging.getLogger("broker.test").exception("failed")

    assert "S" * 43 not in debug_log.text and "T" * 60 not in debug_log.text
    assert "brk_0123456789ab_[redacted]" in debug_log.text


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (
            "Authorization: Bearer brk_0123456789ab_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            "abcdefghijklm",
        ),
        ("{'SecretAccessKey': 'shortsecret', 'AccessKeyId': 'ASIAX'}", "shortsecret"),
        ("headers={'X-Amz-Security-Token': b'IQoJb3JpZ2luX2VjEJr'}", "IQoJb3JpZ2luX2VjEJr"),
        ("Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=" + "ab" * 32, "ab" * 32),
        ("body=<samlp:Response ID='x'><saml:Assertion>alice</saml:Assertion></samlp:Response>", "alice"),
        ("POST /saml/acs/ SAMLResponse=PHNhbWxwOlJlc3BvbnNl&RelayState=x", "PHNhbWxwOlJlc3BvbnNl"),
        ('{"SigninToken": "abc"}', "abc"),
    ],
)
def test_the_shapes_credentials_take_are_redacted(line, secret):
    assert secret not in redact(line)
