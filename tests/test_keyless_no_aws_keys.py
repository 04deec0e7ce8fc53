"""A broker process with no AWS credentials at all serves saml roles: console, CLI page, every REST format.

The process runs the production settings under gunicorn, with every AWS_*
credential variable removed, the AWS config and credentials files pointed at
empty files and instance metadata off: boto3 has nothing to sign with. Only
this test process registers the SAML provider in moto (the one step that needs
keys, ``awssamlprovider``), as an admin would once.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests
from cryptography.fernet import Fernet

from tests.conftest import DEMO_GRANTS, PASSWORD, ROOT, free_port
from tests.keyless_support import form_fields, post_form

IDENTITY = "arn:aws:sts::123456789012:assumed-role/Keyless/alice"
_NO_KEYS = re.compile(
    r"^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|SECURITY_TOKEN|PROFILE|DEFAULT_PROFILE|"
    r"CONTAINER_.*|WEB_IDENTITY_TOKEN_FILE|ROLE_ARN|ROLE_SESSION_NAME)$"
)


@dataclass(frozen=True)
class Broker:
    url: str
    token: str
    env: dict[str, str]


def _environment(tmp: Path, keyless: str, aws_endpoint: str, pair, redis_url: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    (tmp / "aws-config").write_text("")
    (tmp / "aws-credentials").write_text("")
    env = {name: value for name, value in os.environ.items() if not _NO_KEYS.match(name)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="keyless-test-" + "x" * 40,
        BROKER_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL=f"sqlite:///{tmp / 'broker.sqlite3'}",
        REDIS_URL=redis_url,
        BROKER_CACHE_PREFIX=f"keyless-test:{os.getpid()}:",
        AWS_ENDPOINT_URL=aws_endpoint,
        AWS_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        BROKER_AWS_SAML_KEY_FILE=str(pair.key),
        BROKER_AWS_SAML_CERT_FILE=str(pair.cert),
        BROKER_SAML_SIGNIN_URL=keyless,
        BROKER_SIGNIN_URL=keyless.rsplit("/", 1)[0] + "/federation",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="4",
    )
    return env


def _manage(env: dict[str, str], *argv: str) -> str:
    run = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.fixture
def keyless_broker(keyless, aws_endpoint, aws_saml_pair, redis_url, tmp_path) -> Iterator[Broker]:  # type: ignore[no-untyped-def]
    env = _environment(tmp_path, keyless, aws_endpoint, aws_saml_pair, redis_url)
    _manage(env, "migrate", "--no-input", "-v0")
    _manage(env, "loadgrants", str(DEMO_GRANTS))
    _manage(env, "shell", "-c", "from django.contrib.auth.models import Group, User; "
            f"u = User.objects.create_user('alice', password='{PASSWORD}'); "
            "u.groups.add(Group.objects.get(name='developers'))")  # fmt: skip
    token = _manage(env, "createapiclient", "keyless-app", "--role", "prod-keyless").strip().splitlines()[-1]
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "broker.wsgi"]
    child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise AssertionError("the keyless broker did not start")
        yield Broker(url=url, token=token, env=env)
    finally:
        child.terminate()
        child.wait(20)


def caller_arn(key: str, secret: str, token: str) -> str:
    sts = boto3.client("sts", aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)
    return sts.get_caller_identity()["Arn"]


def signed_in(url: str) -> requests.Session:
    browser = requests.Session()
    browser.get(f"{url}/login/", timeout=10)
    answer = browser.post(
        f"{url}/login/",
        {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        headers={"Referer": f"{url}/login/"},
        timeout=10,
    )
    assert answer.url.rstrip("/") == url, answer.text[:500]
    return browser


def test_the_console_cli_page_and_api_work_with_no_aws_keys(keyless_broker):
    # The process's environment really holds no AWS credentials boto3 could find.
    probe = "import boto3; print(boto3.Session().get_credentials())"
    argv = [sys.executable, "-c", probe]
    run = subprocess.run(argv, env=keyless_broker.env, capture_output=True, text=True, timeout=60, check=True)  # noqa: S603
    assert run.stdout.strip() == "None"

    url = keyless_broker.url
    browser = signed_in(url)
    csrf = {"csrfmiddlewaretoken": browser.cookies["csrftoken"]}
    headers = {"Referer": f"{url}/"}

    hop = browser.post(f"{url}/roles/prod-keyless/console/", {**csrf, "duration": "43200"}, headers=headers)
    assert hop.status_code == 200, hop.text[:500]
    status, page = post_form(*form_fields(hop.text))
    assert status == 200 and f'<code id="identity">{IDENTITY}</code>' in page

    cli = browser.post(f"{url}/roles/prod-keyless/credentials/", csrf, headers=headers)
    assert cli.status_code == 200, cli.text[:500]
    found = dict(re.findall(r"export (AWS_[A-Z_]+)='?([^'\n]+)", cli.text))
    assert (
        caller_arn(found["AWS_ACCESS_KEY_ID"], found["AWS_SECRET_ACCESS_KEY"], found["AWS_SESSION_TOKEN"])
        == IDENTITY
    )

    api = {"Authorization": f"Bearer {keyless_broker.token}"}
    session = requests.post(f"{url}/api/v1/sessions/", json={"role": "prod-keyless"}, headers=api, timeout=30)
    assert session.status_code == 201, session.text
    body = session.json()
    assert "assumed-role/Keyless/" in caller_arn(
        body["AccessKeyId"], body["SecretAccessKey"], body["SessionToken"]
    )
    container = requests.get(f"{url}/api/v1/roles/prod-keyless/credentials", headers=api, timeout=30).json()
    assert caller_arn(container["AccessKeyId"], container["SecretAccessKey"], container["Token"])
    process = requests.get(
        f"{url}/api/v1/roles/prod-keyless/credentials?format=process", headers=api, timeout=30
    )
    assert process.json()["Version"] == 1

    # An assume_role role, by contrast, needs the keys this process does not have.
    refused = browser.post(f"{url}/roles/prod-developer/credentials/", csrf, headers=headers)
    assert refused.status_code in (403, 503)
