"""After `awsbroker login`, the AWS tools people already use just work, with no broker code in them.

The real AWS CLI (awscli from PyPI) and boto3 resolve credentials through
the profiles `awsbroker configure` writes (credential_process), boto3's
container provider through `awsbroker serve`, and shells through `awsbroker
env`. AWS is moto; every identity is asked of it (GetCallerIdentity).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import requests

from tests.cli_support import AWS_KEYS, cli_env, login_with_browser, read_until
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
DEVELOPER = "arn:aws:sts::123456789012:assumed-role/Developer/alice"
BOTO3_WHO = (
    "import boto3, sys; "
    "print(boto3.Session(profile_name=sys.argv[1]).client('sts').get_caller_identity()['Arn'])"
)


@pytest.fixture
def signed_in(broker_url, alice, cli):  # type: ignore[no-untyped-def]
    code, _, err = login_with_browser(cli, broker_url, "alice", PASSWORD)
    assert code == 0, err
    return cli


def aws_env(cli, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The person's shell: no AWS keys of its own, the CLI's home, AWS pointed at moto."""
    env = cli_env(cli.home, **extra)
    assert not any(key in env for key in AWS_KEYS) and env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1")
    return env


def aws_cli() -> list[str]:
    found = shutil.which("aws", path=os.path.dirname(sys.executable)) or shutil.which("aws")
    if not found:
        pytest.skip("the AWS CLI (awscli, requirements-dev.txt) is not installed")
    return [found]


def test_configure_writes_one_credential_process_profile_per_role(broker_url, signed_in):
    config = signed_in.home / ".aws" / "config"
    config.write_text("[default]\nregion = eu-west-1\n\n[profile mine]\noutput = json\n")

    answer = signed_in.run("configure")

    assert answer.returncode == 0, answer.stderr
    parsed = configparser.ConfigParser()
    parsed.read(config)
    assert parsed["default"]["region"] == "eu-west-1" and parsed["profile mine"]["output"] == "json"
    ours = sorted(name for name in parsed.sections() if name.startswith("profile broker-"))
    assert ours == [
        "profile broker-prod-developer",
        "profile broker-prod-keyless",
        "profile broker-prod-s3-reader",
        "profile broker-sandbox-admin",
    ]
    assert parsed["profile broker-prod-developer"]["credential_process"].endswith(
        "credentials prod-developer"
    )
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    again = signed_in.run("configure", "--prefix", "co-")
    assert again.returncode == 0 and "co-sandbox-admin" in again.stdout
    assert config.read_text().count("[profile broker-prod-developer]") == 1


def test_the_real_aws_cli_uses_a_configured_profile(broker_url, signed_in):
    assert signed_in.run("configure").returncode == 0

    answer = subprocess.run(
        [*aws_cli(), "sts", "get-caller-identity", "--profile", "broker-prod-developer", "--output", "text"],
        env=aws_env(signed_in),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )

    assert answer.returncode == 0, answer.stderr
    assert DEVELOPER in answer.stdout


def test_boto3_resolves_credentials_through_credential_process(broker_url, signed_in):
    assert signed_in.run("configure").returncode == 0

    answer = subprocess.run(
        [sys.executable, "-c", BOTO3_WHO, "broker-prod-developer"],
        env=aws_env(signed_in),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == DEVELOPER


def test_a_role_the_person_may_not_use_fails_in_one_line(broker_url, signed_in):
    answer = signed_in.run("credentials", "prod-readonly")

    assert answer.returncode == 1 and answer.stdout == ""
    assert len(answer.stderr.strip().splitlines()) == 1 and "(403)" in answer.stderr


def test_credentials_are_cached_0600_and_reused(broker_url, signed_in):
    first = signed_in.run("credentials", "prod-developer")
    second = signed_in.run("credentials", "prod-developer")

    assert first.returncode == 0 and first.stdout == second.stdout
    cached = list((signed_in.home / "awsbroker" / "cache").rglob("*.json"))
    assert len(cached) == 1 and oct(cached[0].stat().st_mode & 0o777) == "0o600"


def test_a_duration_asks_for_a_session_of_that_length(broker_url, signed_in):
    answer = signed_in.run("credentials", "prod-developer", "--duration", "900")

    assert answer.returncode == 0, answer.stderr
    expiration = datetime.fromisoformat(json.loads(answer.stdout)["Expiration"].replace("Z", "+00:00"))
    assert 800 < (expiration - datetime.now(UTC)).total_seconds() <= 900


@pytest.mark.parametrize(
    ("shell", "line"),
    [
        ("bash", r"^export AWS_ACCESS_KEY_ID='ASIA\w+'$"),
        ("fish", r"^set -gx AWS_ACCESS_KEY_ID 'ASIA\w+';$"),
        ("powershell", r"^\$Env:AWS_ACCESS_KEY_ID = 'ASIA\w+'$"),
    ],
)
def test_env_prints_the_session_for_each_shell(broker_url, signed_in, shell, line):
    answer = signed_in.run("env", "prod-developer", "--shell", shell)

    assert answer.returncode == 0, answer.stderr
    assert re.search(line, answer.stdout, re.MULTILINE)
    assert len(answer.stdout.strip().splitlines()) == 4


def test_bash_can_use_what_env_prints(broker_url, signed_in):
    script = 'eval "$(python -m awsbroker env prod-developer)" && python -c "$WHO"'
    who = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"
    env = aws_env(signed_in, WHO=who, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])

    answer = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120)

    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == DEVELOPER


def test_console_print_gives_a_sign_in_url(broker_url, signed_in, settings):
    answer = signed_in.run("console", "prod-developer", "--print")

    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.startswith(settings.BROKER_SIGNIN_URL) and "SigninToken=" in answer.stdout


def test_serve_feeds_boto3_s_container_provider(broker_url, signed_in):
    server = signed_in.start("serve", "prod-developer")
    try:
        uri = read_until(server.stdout, r"AWS_CONTAINER_CREDENTIALS_FULL_URI=(\S+)").group(1)
        token = read_until(server.stdout, r"AWS_CONTAINER_AUTHORIZATION_TOKEN=(\S+)").group(1)
        assert uri.startswith("http://127.0.0.1:")
        env = aws_env(
            signed_in,
            AWS_CONTAINER_CREDENTIALS_FULL_URI=uri,
            AWS_CONTAINER_AUTHORIZATION_TOKEN=token,
            AWS_CONFIG_FILE=str(signed_in.home / "none"),
        )
        who = (
            "import boto3; s = boto3.Session(); "
            "print(s.get_credentials().method, s.client('sts').get_caller_identity()['Arn'])"
        )
        answer = subprocess.run(
            [sys.executable, "-c", who], env=env, capture_output=True, text=True, timeout=120
        )
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout.split() == ["container-role", DEVELOPER]

        refused = requests.get(uri, headers={"Authorization": "wrong"}, timeout=10)
        assert refused.status_code == 401
    finally:
        server.terminate()
        server.wait(10)
        server.stdout.close()
        server.stderr.close()
