"""Both sign-ins of the awsbroker CLI, end to end: the CLI as a subprocess, a live broker, moto.

A scripted browser session signs in on the portal's form and approves; the
test follows the URL the CLI prints instead of a real browser opening it.
"""

from __future__ import annotations

import json
import stat

import boto3
import pytest

from broker.cliauth.models import CliSession
from broker.models import AuditEvent
from tests.cli_support import (
    Cli,
    browser,
    confirm_device,
    enter_user_code,
    finish,
    login_with_browser,
    oldest_python,
    read_until,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def who(session: dict) -> str:
    client = boto3.client(
        "sts",
        aws_access_key_id=session["AccessKeyId"],
        aws_secret_access_key=session["SecretAccessKey"],
        aws_session_token=session["SessionToken"],
    )
    return client.get_caller_identity()["Arn"]


def test_the_metadata_names_every_endpoint_the_cli_needs(broker_url):
    import requests

    meta = requests.get(f"{broker_url}/.well-known/oauth-authorization-server", timeout=10).json()

    assert meta["authorization_endpoint"] == f"{broker_url}/oauth/authorize/"
    assert meta["token_endpoint"] == f"{broker_url}/oauth/token/"
    assert meta["revocation_endpoint"] == f"{broker_url}/oauth/revoke_token/"
    assert meta["device_authorization_endpoint"] == f"{broker_url}/oauth/device-authorization/"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
    }
    assert meta["token_endpoint_auth_methods_supported"] == ["none"]
    assert "introspection_endpoint" not in meta


def test_browser_login_signs_the_terminal_in_as_the_person(broker_url, alice, cli):
    code, _, err = login_with_browser(cli, broker_url, "alice", PASSWORD)

    assert code == 0, err
    assert f"Signed in to {broker_url} as alice" in err
    tokens = cli.home / "awsbroker" / "tokens.json"
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    assert json.loads((cli.home / "awsbroker" / "config.json").read_text()) == {"url": broker_url}
    session = CliSession.objects.get(user=alice)
    assert session.flow == "browser" and session.token_family is not None and not session.mfa

    roles = cli.run("roles")
    assert roles.returncode == 0, roles.stderr
    assert "prod-developer" in roles.stdout and "Production (123456789012)" in roles.stdout

    answer = cli.run("credentials", "prod-developer")
    assert answer.returncode == 0, answer.stderr
    process = json.loads(answer.stdout)
    assert process["Version"] == 1
    assert who(process) == "arn:aws:sts::123456789012:assumed-role/Developer/alice"
    delivered = AuditEvent.objects.filter(action="credentials.delivered", actor="alice").get()
    assert delivered.detail["token"] == session.label and delivered.access_key_id == process["AccessKeyId"]


def test_device_login_prints_a_code_that_the_person_confirms_elsewhere(broker_url, alice, cli):
    child = cli.start("login", "--device", AWSBROKER_URL=broker_url)
    found = read_until(child.stderr, r"open (\S+)\nand enter the code: ([A-Z]{4}-[A-Z]{4})")
    verification_uri, user_code = found.group(1), found.group(2)
    assert verification_uri == f"{broker_url}/oauth/device/"

    person = browser(broker_url, "alice", PASSWORD)
    confirm = enter_user_code(person, broker_url, user_code.lower().replace("-", " "))
    assert confirm.status_code == 200
    assert user_code in confirm.text and "awsbroker CLI" in confirm.text and "awsbroker-cli" in confirm.text
    done = confirm_device(person, confirm)
    assert done.status_code == 200 and "Signed in" in done.text

    code, _, err = finish(child)
    assert code == 0, err
    assert "as alice" in err
    assert CliSession.objects.get(user=alice).flow == "device"
    assert cli.run("credentials", "prod-developer", AWSBROKER_URL=broker_url).returncode == 0


def test_the_cli_works_on_python_3_9(broker_url, alice, cli_home):
    python = oldest_python()
    if python is None:
        pytest.skip("no Python 3.9 on this machine")
    cli = Cli(cli_home, python=python)

    code, _, err = login_with_browser(cli, broker_url, "alice", PASSWORD)

    assert code == 0, err
    answer = cli.run("credentials", "prod-developer")
    assert answer.returncode == 0, answer.stderr
    assert who(json.loads(answer.stdout)) == "arn:aws:sts::123456789012:assumed-role/Developer/alice"


def test_a_denied_device_sign_in_ends_the_cli_with_one_line(broker_url, alice, cli):
    child = cli.start("login", "--device", AWSBROKER_URL=broker_url)
    user_code = read_until(child.stderr, r"enter the code: ([A-Z]{4}-[A-Z]{4})").group(1)
    person = browser(broker_url, "alice", PASSWORD)
    confirm_device(person, enter_user_code(person, broker_url, user_code), action="deny")

    code, _, err = finish(child)

    assert code == 1
    assert err.strip().splitlines()[-1] == "awsbroker: the sign-in was denied in the browser"
    assert not CliSession.objects.exists()
