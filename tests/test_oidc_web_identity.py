"""Web-identity roles: the person's own ID token through AssumeRoleWithWebIdentity.

Against moto (which does not check the token) for the whole path, and the
botocore Stubber for the exact request AWS would judge.
"""

from __future__ import annotations

import contextlib
import re
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber
from django.contrib.auth.models import Group, User
from django.test import Client

from broker.oidc import tokens
from federation import sts
from federation.models import AwsAccount, Grant, Issuance, Role
from tests.apifixtures import bearer, create_client
from tests.conftest import make_user, signed_in
from tests.oidc_support import CALLBACK, configure, free_port, sign_in, start_provider
from tests.test_no_secrets_in_debug_logs import debug_log  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
ROLE_ARN = "arn:aws:iam::123456789012:role/WebDeveloper"


@pytest.fixture
def web_role(aws: str, grants) -> Role:  # type: ignore[no-untyped-def]
    """A web_identity role in moto's account, granted to developers."""
    iam = boto3.client("iam", endpoint_url=aws, region_name="us-east-1")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="WebDeveloper", AssumeRolePolicyDocument="{}", MaxSessionDuration=3600)
    role = Role.objects.create(
        alias="web-developer", account=AwsAccount.objects.get(account_id="123456789012"), arn=ROLE_ARN,
        method="web_identity", description="Reached with the person's own ID token",
    )  # fmt: skip
    Grant.objects.create(group=Group.objects.get(name="developers"), role=role)
    return role


def credentials_from(page: str) -> dict[str, str]:
    found = dict(re.findall(r"export (AWS_[A-Z_]+)=['\"]?([^'\"\s]+)", page))
    assert found.get("AWS_ACCESS_KEY_ID"), page[:500]
    return found


def test_alice_gets_web_identity_credentials_that_aws_accepts(oidc_on, web_role, aws) -> None:
    client = Client()
    sign_in(client, "alice")
    page = client.post("/roles/web-developer/credentials/", follow=True)
    assert page.status_code == 200, page.content[:400]
    found = credentials_from(page.content.decode())
    identity = boto3.client(
        "sts",
        endpoint_url=aws,
        region_name="us-east-1",
        aws_access_key_id=found["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=found["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=found["AWS_SESSION_TOKEN"],
    ).get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::123456789012:assumed-role/WebDeveloper/alice"
    row = Issuance.objects.get(role_alias="web-developer")
    assert row.method == "web_identity" and row.username == "alice"


def test_the_console_opens_for_a_web_identity_role(oidc_on, web_role) -> None:
    client = Client()
    sign_in(client, "alice")
    answer = client.post("/roles/web-developer/console/")
    assert answer.status_code == 302, answer.content[:400]
    assert "SigninToken=" in answer["Location"]


def test_the_console_opens_for_an_assume_role_role_after_oidc_sign_in(oidc_on, aws, grants) -> None:
    client = Client()
    sign_in(client, "alice")
    answer = client.post("/roles/prod-developer/console/")
    assert answer.status_code == 302 and "SigninToken=" in answer["Location"]


def test_a_password_sign_in_is_told_why_it_cannot_use_the_role(web_role) -> None:
    alice = signed_in(make_user("alice", "developers"))
    page = alice.post("/roles/web-developer/credentials/", follow=True)
    assert page.status_code == 403
    assert b"own OpenID Connect ID token" in page.content


def test_an_api_client_gets_403_role_not_available_with_the_reason(web_role, cache_redis) -> None:
    token = create_client("robot", "web-developer")
    answer = bearer(token).get("/api/v1/roles/web-developer/credentials")
    assert answer.status_code == 403
    assert answer.json()["error"] == "role_not_available"
    assert "web identity" in answer.json()["detail"]


def test_an_expiring_id_token_is_refreshed_with_the_refresh_token(settings, web_role) -> None:
    running = start_provider(free_port(), idTokenSeconds=60)  # inside the refresh margin at once
    try:
        configure(settings, running.issuer)
        client = Client()
        sign_in(client, "alice")
        alice = User.objects.get(username="alice")
        before = tokens.kept(client.session, alice.pk)
        assert before["refresh"]
        time.sleep(1.1)  # a token refreshed within the same second could be byte-identical
        assert client.post("/roles/web-developer/credentials/", follow=True).status_code == 200
        after = tokens.kept(client.session, alice.pk)
        assert after["exp"] > before["exp"] and after["sub"] == "alice"
    finally:
        running.stop()


def test_an_expiring_id_token_without_refresh_asks_to_sign_in_again(settings, web_role) -> None:
    from devtools import oidc_provider

    no_refresh = oidc_provider.client(
        "no-refresh", "secret-nr", [CALLBACK], grant_types=["authorization_code"]
    )
    running = oidc_provider.start(port=free_port(), clients=[no_refresh], idTokenSeconds=60)
    try:
        configure(settings, running.issuer, client_id="no-refresh", secret="secret-nr")
        client = Client()
        sign_in(client, "alice")
        page = client.post("/roles/web-developer/credentials/", follow=True)
        assert page.status_code == 401
        assert b"sign in again" in page.content and b'id="signin-again"' in page.content
        assert not Issuance.objects.filter(role_alias="web-developer").exists()
    finally:
        running.stop()


def test_the_exact_assume_role_with_web_identity_request(oidc_on, web_role) -> None:
    client = Client()
    sign_in(client, "alice")
    id_token = tokens.kept(client.session, User.objects.get(username="alice").pk)["id_token"]
    expiry = datetime.now(UTC) + timedelta(hours=1)
    answer = {
        "Credentials": {
            "AccessKeyId": "ASIAWEBIDENTITYSTUB1",
            "SecretAccessKey": "s" * 40,
            "SessionToken": "t" * 120,
            "Expiration": expiry,
        },
        "AssumedRoleUser": {
            "AssumedRoleId": "AROA:alice",
            "Arn": f"{ROLE_ARN.replace(':iam:', ':sts:')}/alice",
        },
    }
    with Stubber(sts.unsigned_client()) as stub:
        stub.add_response(
            "assume_role_with_web_identity",
            answer,
            {
                "RoleArn": ROLE_ARN,
                "RoleSessionName": "alice",
                "WebIdentityToken": id_token,
                "DurationSeconds": 3600,
            },
        )
        assert client.post("/roles/web-developer/credentials/", follow=True).status_code == 200
        stub.assert_no_pending_responses()


def test_aws_refusing_the_token_is_a_clear_403(oidc_on, web_role) -> None:
    client = Client()
    sign_in(client, "alice")
    with Stubber(sts.unsigned_client()) as stub:
        stub.add_client_error(
            "assume_role_with_web_identity", "InvalidIdentityToken", "No OpenIDConnect provider found", 400
        )
        page = client.post("/roles/web-developer/credentials/", follow=True)
    assert page.status_code == 403
    assert b"IAM OIDC provider" in page.content


def test_the_request_is_unsigned() -> None:
    from botocore import UNSIGNED

    assert sts.unsigned_client().meta.config.signature_version is UNSIGNED


def test_no_oidc_secret_reaches_a_debug_log(oidc_on, web_role, debug_log) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Sign-in, web identity and sign-out at DEBUG (botocore and urllib3 too), through the filter."""
    from tests.oidc_support import CLIENT_SECRET

    client = Client()
    sign_in(client, "alice")
    kept = tokens.kept(client.session, User.objects.get(username="alice").pk)
    page = client.post("/roles/web-developer/credentials/", follow=True).content.decode()
    client.post("/oidc/logout/")
    secrets = [kept["id_token"], kept["refresh"], CLIENT_SECRET, *credentials_from(page).values()]
    written = "\n".join(debug_log.handler.format(record) for record in debug_log.records)
    assert "assume_role_with_web_identity" in written.lower() or "AssumeRoleWithWebIdentity" in written
    for secret in secrets:
        if len(secret) >= 16 and not secret.startswith("ASIA"):
            assert secret not in written and secret[8:32] not in written


def test_the_portal_tells_a_password_sign_in_how_to_use_a_web_identity_role(web_role) -> None:
    alice = signed_in(make_user("alice", "developers"))
    card = _card(alice.get("/").content.decode(), "web-developer")
    assert "sign in with your identity provider" in card and 'href="/oidc/login/"' in card
    assert card.count(" disabled>") == 2  # Console and CLI credentials
    other = _card(alice.get("/").content.decode(), "prod-developer")
    assert "identity provider" not in other and " disabled>" not in other


def test_an_oidc_sign_in_gets_the_web_identity_role_usable_in_the_portal(oidc_on, web_role) -> None:
    client = Client()
    sign_in(client, "alice")
    card = _card(client.get("/").content.decode(), "web-developer")
    assert "sign in with your identity provider" not in card and " disabled>" not in card


def _card(page: str, alias: str) -> str:
    start = page.index(f'data-role="{alias}"')
    return page[start : page.index("</li>", start)]
