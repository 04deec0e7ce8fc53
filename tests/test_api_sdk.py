"""AWS tooling with no broker code: boto3's container provider and credential_process (curl)."""

from __future__ import annotations

import boto3
import pytest
from botocore.credentials import ContainerProvider, ProcessProvider

from federation import chaining


def caller_arn(credentials) -> str:  # type: ignore[no-untyped-def]
    """Who AWS (moto) says these SDK-loaded credentials are."""
    frozen = credentials.get_frozen_credentials()
    client = boto3.client(
        "sts",
        aws_access_key_id=frozen.access_key,
        aws_secret_access_key=frozen.secret_key,
        aws_session_token=frozen.token,
    )
    return client.get_caller_identity()["Arn"]


@pytest.fixture
def live_api(live_server, aws, cache_redis, billing_token, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    chaining.cap()  # the broker's own STS client is made with its own keys first
    return live_server.url


@pytest.mark.django_db(transaction=True)
def test_an_sdk_with_only_the_two_container_variables_gets_a_working_session(
    live_api, billing_token, monkeypatch, tmp_path
):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", f"{live_api}/api/v1/roles/prod-developer/credentials"
    )
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", billing_token)

    session = boto3.Session()
    assert session.get_credentials().method == "container-role"
    identity = session.client("sts").get_caller_identity()

    assert identity["Arn"] == "arn:aws:sts::123456789012:assumed-role/Developer/api-billing"


@pytest.mark.django_db(transaction=True)
def test_the_container_provider_reads_our_expiration(live_api, billing_token, monkeypatch):
    monkeypatch.setenv(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", f"{live_api}/api/v1/roles/prod-developer/credentials"
    )
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", billing_token)

    credentials = ContainerProvider().load()

    assert credentials is not None and not credentials.refresh_needed()
    assert caller_arn(credentials).endswith("assumed-role/Developer/api-billing")


@pytest.mark.django_db(transaction=True)
def test_credential_process_with_the_documented_curl_line_works(live_api, billing_token, tmp_path):
    header = tmp_path / "broker.header"
    header.write_text(f"Authorization: Bearer {billing_token}\n")
    header.chmod(0o600)
    command = f"curl -fsS -H @{header} {live_api}/api/v1/roles/prod-developer/credentials?format=process"
    config = {"profiles": {"prod": {"credential_process": command}}}

    credentials = ProcessProvider("prod", load_config=lambda: config).load()

    assert caller_arn(credentials).endswith("assumed-role/Developer/api-billing")


@pytest.mark.django_db(transaction=True)
def test_credential_process_fails_loudly_on_a_refusal(live_api, tmp_path):
    url = f"{live_api}/api/v1/roles/prod-developer/credentials?format=process"
    command = f"curl -fsS -H 'Authorization: Bearer brk_nope' {url}"
    config = {"profiles": {"prod": {"credential_process": command}}}

    from botocore.exceptions import CredentialRetrievalError

    with pytest.raises(CredentialRetrievalError):
        ProcessProvider("prod", load_config=lambda: config).load()
