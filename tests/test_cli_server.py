"""The CLI's OAuth server seen from inside: its client, its checks, MFA at sign-in, the terminal page.

The browser flow here runs through Django's test client (the same views and
validator the live tests reach over HTTP), so the MFA state of the approving
session can be set as the verify page sets it.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import Application

from broker.cliauth import checks, client, config
from broker.cliauth.models import CliSession
from broker.models import AuditEvent
from federation.models import Grant
from tests.conftest import signed_in

VERIFIER = "v" * 64
REDIRECT = "http://127.0.0.1:49152/callback"


def sign_in_cli(browser: Client) -> str:
    """The authorization-code flow through the test client; the access token it ends with."""
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": config.CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "aws",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = browser.get(f"/oauth/authorize/?{urlencode(query)}")
    assert page.status_code == 200
    form = {name: page.context["form"].initial.get(name) or "" for name in page.context["form"].fields}
    allowed = browser.post(page.request["PATH_INFO"], {**form, "allow": "Authorize"})
    code = parse_qs(urlsplit(allowed["Location"]).query)["code"][0]
    token = Client().post(
        "/oauth/token/",
        {
            "client_id": config.CLIENT_ID,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER,
        },
    )
    assert token.status_code == 200, token.content
    return token.json()["access_token"]


@pytest.mark.django_db
def test_the_migration_registers_the_cli_as_a_public_client_without_secret():
    registered = Application.objects.get(client_id=config.CLIENT_ID)

    assert client.differences(registered) == []
    assert registered.client_type == "public" and registered.client_secret == ""
    assert registered.redirect_uris.split() == ["http://127.0.0.1/callback", "http://[::1]/callback"]


def test_the_start_up_check_passes_and_catches_a_weakened_setting(settings):
    assert checks.oauth_settings() == []

    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "REFRESH_TOKEN_REUSE_PROTECTION": False}

    assert [message.id for message in checks.oauth_settings()] == ["cliauth.E001"]


@pytest.mark.django_db
@pytest.mark.parametrize("mfa", [True, False], ids=["verified", "unverified"])
def test_the_api_sees_the_mfa_state_the_person_had_when_approving(aws, cache_redis, alice, mfa):
    Grant.objects.filter(group__name="developers", role__alias="prod-developer").update(require_mfa="any")
    access = sign_in_cli(signed_in(alice, mfa=mfa))

    answer = Client().get(
        "/api/v1/roles/prod-developer/credentials?format=process", HTTP_AUTHORIZATION=f"Bearer {access}"
    )

    assert CliSession.objects.get().mfa is mfa
    assert AuditEvent.objects.get(action="cli.approved").detail["mfa"] is mfa
    if mfa:
        assert answer.status_code == 200 and answer.json()["Version"] == 1
    else:
        assert answer.status_code == 403 and "MFA" in answer.json()["detail"]


@pytest.mark.django_db
def test_the_api_takes_the_person_s_groups_as_they_are_now(aws, cache_redis, alice):
    access = sign_in_cli(signed_in(alice))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {access}"}
    assert Client().get("/api/v1/roles/sandbox-admin/credentials", **headers).status_code == 200

    alice.groups.clear()

    refused = Client().get("/api/v1/roles/sandbox-admin/credentials", **headers)
    assert refused.status_code == 403 and refused.json()["error"] == "role_not_available"


@pytest.mark.django_db
def test_a_made_up_cli_token_is_a_401_that_names_no_token(cache_redis):
    answer = Client().get("/api/v1/roles/", HTTP_AUTHORIZATION="Bearer brka_made-up-token")

    assert answer.status_code == 401 and "awsbroker login" in answer.json()["detail"]
    assert 'error="invalid_token"' in answer["WWW-Authenticate"]
    assert "made-up" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


@pytest.mark.django_db
def test_the_terminal_page_gives_this_broker_s_install_and_login_commands(alice, settings):
    settings.BROKER_BASE_URL = "https://broker.example.com"

    page = signed_in(alice).get("/terminal/")

    text = page.content.decode()
    assert page.status_code == 200
    assert 'pip install "awsbroker @ https://broker.example.com/terminal/awsbroker.tar.gz"' in text
    assert "pip install ./cli" in text and "awsbroker login --url https://broker.example.com" in text
    assert "awsbroker login --device" in text and 'href="/terminal/"' in text


@pytest.mark.django_db
def test_the_terminal_page_needs_a_sign_in():
    assert Client().get("/terminal/")["Location"].startswith("/login/")


@pytest.mark.django_db
def test_the_refresh_worker_renews_a_terminal_only_person_s_sessions(aws, cache_redis, alice):
    from broker.cliauth import tokens as cli_tokens
    from federation import delivery
    from tests.apifixtures import age

    access = sign_in_cli(signed_in(alice))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {access}"}
    first = Client().get("/api/v1/roles/prod-developer/credentials", **headers).json()
    spec = delivery.plan(
        cli_tokens.verify(access, source_ip=None), alias="prod-developer", duration_seconds=None, policy=None
    )
    age(spec, remaining=1000)

    assert delivery.refresh(key_id=spec.key_id) == "refreshed"
    again = Client().get("/api/v1/roles/prod-developer/credentials", **headers).json()
    assert again["AccessKeyId"] != first["AccessKeyId"]

    CliSession.objects.update(revoked_at="2026-01-01T00:00:00Z")
    age(spec, remaining=1000)
    assert delivery.refresh(key_id=spec.key_id) == "revoked"


@pytest.mark.django_db
def test_the_broker_serves_the_cli_source_for_pip_without_a_sign_in(tmp_path):
    import io
    import os
    import subprocess
    import sys
    import tarfile

    first, second = Client().get("/terminal/awsbroker.tar.gz"), Client().get("/terminal/awsbroker.tar.gz")

    assert first.status_code == 200 and first["Content-Type"] == "application/gzip"
    assert first.content == second.content  # the same code gives the same bytes
    with tarfile.open(fileobj=io.BytesIO(first.content)) as tar:
        names = set(tar.getnames())
        tar.extractall(tmp_path, filter="data")
    assert {
        "awsbroker/pyproject.toml",
        "awsbroker/awsbroker/main.py",
        "awsbroker/awsbroker/commands/serve.py",
    } <= names
    assert 'awsbroker = "awsbroker.main:main"' in (tmp_path / "awsbroker" / "pyproject.toml").read_text()
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "awsbroker")}
    version = subprocess.run(
        [sys.executable, "-m", "awsbroker", "--version"], env=env, capture_output=True, text=True, timeout=60
    )
    assert version.stdout == "awsbroker 0.1.0\n"
