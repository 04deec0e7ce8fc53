"""The exact requests the broker sends to STS (botocore Stubber), for rules moto ignores."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.stub import ANY, Stubber

from federation import sts
from federation.models import Grant, Issuance
from tests.conftest import make_user, signed_in

EXPIRY = datetime.now(UTC) + timedelta(hours=1)
CREDENTIALS = {
    "AccessKeyId": "ASIASTUBBEDEXAMPLE01",
    "SecretAccessKey": "s" * 40,
    "SessionToken": "t" * 120,
    "Expiration": EXPIRY,
}


def assumed(role: str, session: str) -> dict:
    return {
        "Credentials": CREDENTIALS,
        "AssumedRoleUser": {
            "AssumedRoleId": "AROAEXAMPLE:" + session,
            "Arn": f"arn:aws:sts::123456789012:assumed-role/{role}/{session}",
        },
    }


@pytest.fixture
def stub(aws, settings):  # type: ignore[no-untyped-def]
    settings.BROKER_ROLE_CHAINING = "false"
    with Stubber(sts.client()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.mark.django_db
def test_assume_role_names_the_person(stub, alice_client):
    stub.add_response(
        "assume_role",
        assumed("Developer", "alice"),
        {
            "RoleArn": "arn:aws:iam::123456789012:role/Developer",
            "RoleSessionName": "alice",
            "SourceIdentity": "alice",
            "DurationSeconds": 14400,
        },
    )
    # developers' grant sets a 4 h default and no session policy.
    assert alice_client.post("/roles/prod-developer/credentials/").status_code == 303


@pytest.mark.django_db
def test_usernames_are_sanitised_for_role_session_names(stub, grants):
    user = make_user("Jörg Smith/ops", "developers")
    stub.add_response(
        "assume_role",
        assumed("Developer", "J-rg-Smith-ops"),
        {
            "RoleArn": ANY,
            "RoleSessionName": "J-rg-Smith-ops",
            "SourceIdentity": "J-rg-Smith-ops",
            "DurationSeconds": ANY,
        },
    )
    assert signed_in(user).post("/roles/prod-developer/credentials/").status_code == 303


@pytest.mark.django_db
def test_a_scoped_grant_sends_its_session_policy(stub, bob_client):
    policy = Grant.objects.get(group__name="auditors", role__alias="prod-developer").session_policy
    stub.add_response(
        "assume_role",
        assumed("Developer", "bob"),
        {
            "RoleArn": "arn:aws:iam::123456789012:role/Developer",
            "RoleSessionName": "bob",
            "SourceIdentity": "bob",
            "DurationSeconds": 3600,
            "Policy": json.dumps(policy, separators=(",", ":")),
        },
    )
    assert bob_client.post("/roles/prod-developer/credentials/").status_code == 303


@pytest.mark.django_db
def test_federation_token_sends_a_short_name_and_the_policy(stub, grants):
    user = make_user("a-very-long-username-that-goes-past-32", "developers")
    stub.add_response(
        "get_federation_token",
        {
            "Credentials": CREDENTIALS,
            "FederatedUser": {
                "FederatedUserId": "123456789012:x",
                "Arn": "arn:aws:sts::123456789012:federated-user/x",
            },
        },
        {"Name": "a-very-long-username-that-goes-p", "DurationSeconds": 900, "Policy": ANY},
    )
    assert signed_in(user).post("/roles/prod-s3-reader/credentials/", {"duration": "900"}).status_code == 303


@pytest.mark.django_db
def test_role_chaining_caps_sessions_at_one_hour(stub, alice_client, settings):
    settings.BROKER_ROLE_CHAINING = "true"
    refused = alice_client.post("/roles/prod-developer/credentials/", {"duration": "7200"})
    assert refused.status_code == 400
    assert b"between 900 and 3600" in refused.content

    stub.add_response("assume_role", assumed("Developer", "alice"), {
        "RoleArn": ANY, "RoleSessionName": "alice", "SourceIdentity": "alice", "DurationSeconds": 3600,
    })  # fmt: skip
    assert alice_client.post("/roles/prod-developer/credentials/", {"duration": "3600"}).status_code == 303


@pytest.mark.django_db
def test_chaining_is_detected_from_the_brokers_own_identity(stub, alice_client, settings):
    settings.BROKER_ROLE_CHAINING = "auto"
    stub.add_response(
        "get_caller_identity",
        {
            "UserId": "x",
            "Account": "123456789012",
            "Arn": "arn:aws:sts::123456789012:assumed-role/Broker/i-1",
        },
    )
    response = alice_client.post("/roles/prod-developer/credentials/", {"duration": "7200"})
    assert response.status_code == 400


@pytest.mark.django_db
def test_sts_refusing_shows_a_clear_page(stub, alice_client):
    stub.add_client_error("assume_role", "AccessDenied", "User is not authorized", http_status_code=403)
    response = alice_client.post("/roles/prod-developer/credentials/")

    assert response.status_code == 403
    assert b"trust policy does not allow the broker" in response.content
    assert not Issuance.objects.exists()


@pytest.mark.django_db
def test_a_packed_policy_too_large_is_a_400_with_the_reason(stub, bob_client):
    stub.add_client_error(
        "assume_role",
        "PackedPolicyTooLarge",
        "Packed policy consumes 112% of allotted space",
        http_status_code=400,
    )
    response = bob_client.post("/roles/prod-developer/credentials/")
    assert response.status_code == 400
    assert b"PackedPolicyTooLarge" in response.content


@pytest.mark.django_db
def test_sts_throttling_is_a_503_with_retry_after(stub, alice_client):
    stub.add_client_error("assume_role", "Throttling", "Rate exceeded", http_status_code=400)
    response = alice_client.post("/roles/prod-developer/credentials/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "policy",
    [
        {"Version": "2012-10-17", "Statement": []},
        {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "x" * 2100}],
        },
        "not a policy",
    ],
    ids=["empty", "no-version", "oversized", "not-an-object"],
)
def test_a_bad_session_policy_is_a_400_before_sts(stub, bob_client, policy):
    Grant.objects.filter(group__name="auditors", role__alias="prod-developer").update(session_policy=policy)
    response = bob_client.post("/roles/prod-developer/credentials/")
    assert response.status_code == 400
    assert not Issuance.objects.exists()


@pytest.mark.django_db
def test_sts_unreachable_is_a_503_page(alice_client, settings, monkeypatch, aws):
    settings.BROKER_ROLE_CHAINING = "false"
    settings.BROKER_STS_MAX_ATTEMPTS = 1
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    sts.reset()
    response = alice_client.post("/roles/prod-developer/console/")

    assert response.status_code == 503
    assert b"could not be reached" in response.content
    assert response["Retry-After"] == "30"
