"""CLI credentials: issued through the portal, working against AWS (moto)."""

from __future__ import annotations

import re

import boto3
import pytest

from broker.models import AuditEvent
from federation.models import Issuance


def snippet(page: str, name: str) -> str:
    match = re.search(rf"export {name}=(\S+)", page)
    assert match, f"{name} missing from the credentials page"
    return match.group(1).strip("'")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("alias", "identity"),
    [
        ("prod-developer", "arn:aws:sts::123456789012:assumed-role/Developer/alice"),
        ("sandbox-admin", "arn:aws:sts::111122223333:assumed-role/Admin/alice"),
        ("prod-s3-reader", None),
    ],
)
def test_cli_credentials_work_against_aws(aws, alice_client, alias, identity):
    response = alice_client.post(f"/roles/{alias}/credentials/", {"duration": "900"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    client = boto3.client(
        "sts",
        aws_access_key_id=snippet(page, "AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=snippet(page, "AWS_SECRET_ACCESS_KEY"),
        aws_session_token=snippet(page, "AWS_SESSION_TOKEN"),
    )
    caller = client.get_caller_identity()
    if identity:
        assert caller["Arn"] == identity
    else:
        assert caller["Account"] == "123456789012"


@pytest.mark.django_db
def test_the_page_offers_every_shell_and_the_expiry(aws, alice_client):
    page = alice_client.post("/roles/prod-developer/credentials/", {"duration": "3600"}).content.decode()

    assert "set -gx AWS_ACCESS_KEY_ID" in page
    assert "$Env:AWS_SESSION_TOKEN = " in page
    assert "[prod-developer]" in page and "aws_session_token = " in page
    assert "Expires" in page and "3600 s" in page


@pytest.mark.django_db
def test_issuance_is_ledgered_and_audited_without_secrets(aws, alice_client):
    page = alice_client.post("/roles/prod-developer/credentials/").content.decode()

    issuance = Issuance.objects.get()
    assert issuance.access_key_id == snippet(page, "AWS_ACCESS_KEY_ID")
    assert (issuance.purpose, issuance.method) == ("cli", "assume_role")
    event = AuditEvent.objects.get(action="credentials.issued")
    assert event.access_key_id == issuance.access_key_id
    stored = str(event.detail) + str(issuance.__dict__)
    assert snippet(page, "AWS_SECRET_ACCESS_KEY") not in stored
    assert snippet(page, "AWS_SESSION_TOKEN") not in stored


@pytest.mark.django_db
@pytest.mark.parametrize("duration", ["899", "43201", "-5", "abc", "1e4"])
def test_an_out_of_range_duration_is_a_400(aws, alice_client, duration):
    response = alice_client.post("/roles/prod-developer/credentials/", {"duration": duration})

    assert response.status_code == 400
    assert not Issuance.objects.exists()


@pytest.mark.django_db
def test_a_duration_above_the_roles_maximum_is_refused(aws, bob_client):
    # prod-readonly allows at most one hour.
    response = bob_client.post("/roles/prod-readonly/credentials/", {"duration": "7200"})
    assert response.status_code == 400
    assert b"between 900 and 3600 seconds" in response.content


@pytest.mark.django_db
def test_a_role_not_granted_is_a_403_and_is_audited(aws, bob_client):
    response = bob_client.post("/roles/sandbox-admin/credentials/")

    assert response.status_code == 403
    refused = AuditEvent.objects.get(action="access.refused")
    assert (refused.actor, refused.role_alias, refused.outcome) == ("bob", "sandbox-admin", "denied")
