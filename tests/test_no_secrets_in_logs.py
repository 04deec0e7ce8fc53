"""A full flow logged at DEBUG leaves no credential in any log line."""

from __future__ import annotations

import logging
import re

import pytest

from broker.redaction import RedactSecretsFilter, redact
from federation.models import Issuance


def test_redaction_covers_the_shapes_credentials_take():
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert secret not in redact(f"secret {secret} here")
    assert "abc" not in redact("https://signin/federation?Action=login&SigninToken=abc&x=1")
    assert "tok" not in redact('{"SessionToken": "tok", "AccessKeyId": "ASIAX"}')
    assert "ASIAX" in redact('{"SessionToken": "tok", "AccessKeyId": "ASIAX"}')


def test_redaction_leaves_file_paths_in_tracebacks_readable():
    line = 'File "/srv/.venv/lib/python3.11/site-packages/django/db/backends/postgresql/base.py", line 429'
    assert redact(line) == line


@pytest.mark.django_db
def test_a_debug_log_of_a_full_flow_holds_no_secret(aws, alice_client, caplog):
    caplog.handler.addFilter(RedactSecretsFilter())
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="botocore"):
        credentials = alice_client.post("/roles/prod-developer/credentials/", follow=True).content.decode()
        console = alice_client.post("/roles/prod-developer/console/")
    secrets = re.findall(r"export AWS_(?:SECRET_ACCESS_KEY|SESSION_TOKEN)='?([^'\n]+)", credentials)
    token = re.search(r"SigninToken=([^&]+)", console["Location"]).group(1)
    assert len(secrets) == 2 and token
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "getSigninToken" not in logged or "Session=[redacted]" in logged
    for value in [*secrets, token]:
        assert value not in logged
    assert Issuance.objects.count() == 2
    assert any(record.name.startswith("botocore") for record in caplog.records)
