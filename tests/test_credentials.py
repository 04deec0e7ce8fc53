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


def issue(client, alias: str, **data: str):  # type: ignore[no-untyped-def]
    """POST for credentials and follow the 303 to the page that shows them, as a browser does."""
    answer = client.post(f"/roles/{alias}/credentials/", data)
    assert answer.status_code == 303 and answer["Location"] == f"/roles/{alias}/credentials/"
    return client.get(answer["Location"])


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
    response = issue(alice_client, alias, duration="900")

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
    page = issue(alice_client, "prod-developer", duration="3600").content.decode()

    assert "set -gx AWS_ACCESS_KEY_ID" in page
    assert "$Env:AWS_SESSION_TOKEN = " in page
    assert "[prod-developer]" in page and "aws_session_token = " in page
    assert "Expires" in page and "1 h session" in page and "UTC" in page
    assert "Production" in page and "123456789012" in page  # the account, by name


@pytest.mark.django_db
def test_issuance_is_ledgered_and_audited_without_secrets(aws, alice_client):
    page = issue(alice_client, "prod-developer").content.decode()

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


# --- POST-redirect-GET: a reload never issues a new set ----------------------------------


@pytest.mark.django_db
def test_a_reload_shows_the_same_set_without_issuing_another(aws, alice_client):
    first = issue(alice_client, "prod-developer").content.decode()
    again = alice_client.get("/roles/prod-developer/credentials/")

    assert again.status_code == 200 and again["Cache-Control"] == "no-store"
    assert snippet(again.content.decode(), "AWS_SECRET_ACCESS_KEY") == snippet(first, "AWS_SECRET_ACCESS_KEY")
    assert Issuance.objects.count() == 1
    assert AuditEvent.objects.filter(action="credentials.issued").count() == 1


@pytest.mark.django_db
def test_the_held_set_is_sealed_in_the_session(aws, alice_client):
    page = issue(alice_client, "prod-developer").content.decode()
    from django.contrib.sessions.models import Session

    stored = "".join(row.session_data for row in Session.objects.all())
    decoded = str([row.get_decoded() for row in Session.objects.all()])
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert snippet(page, name) not in stored and snippet(page, name) not in decoded


@pytest.mark.django_db
def test_a_plain_get_offers_to_issue_instead_of_a_blank_405(aws, alice_client):
    response = alice_client.get("/roles/prod-developer/credentials/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Get CLI credentials" in page and "<form" in page and 'name="duration"' in page
    assert not Issuance.objects.exists()


@pytest.mark.django_db
def test_another_persons_held_set_is_never_shown(aws, alice_client, bob_client):
    issue(alice_client, "prod-developer")
    response = bob_client.get("/roles/prod-developer/credentials/")  # bob holds the role too
    assert response.status_code == 200
    assert b"Get CLI credentials" in response.content and b"AWS_SECRET_ACCESS_KEY" not in response.content


@pytest.mark.django_db
def test_a_held_set_is_not_shown_once_the_grant_is_gone(aws, alice, alice_client):
    issue(alice_client, "prod-developer")
    alice.groups.clear()
    response = alice_client.get("/roles/prod-developer/credentials/")
    assert response.status_code == 403 and b"AWS_SECRET_ACCESS_KEY" not in response.content


@pytest.mark.django_db
def test_the_held_set_ends_after_the_hold(aws, alice_client, monkeypatch):
    from federation.credcache import held

    monkeypatch.setattr(held, "HOLD_SECONDS", -1)  # a hold that is already over
    issue(alice_client, "prod-developer")
    response = alice_client.get("/roles/prod-developer/credentials/")
    assert b"Get CLI credentials" in response.content and b"AWS_SECRET_ACCESS_KEY" not in response.content


@pytest.mark.django_db
def test_forget_drops_the_held_set(aws, alice_client):
    issue(alice_client, "prod-developer")
    done = alice_client.post("/roles/prod-developer/credentials/", {"forget": "1"})
    assert done.status_code == 303 and done["Location"] == "/"
    page = alice_client.get("/roles/prod-developer/credentials/").content
    assert b"AWS_SECRET_ACCESS_KEY" not in page


@pytest.mark.django_db
def test_each_value_has_its_own_copy_button(aws, alice_client):
    page = issue(alice_client, "prod-developer").content.decode()
    for target in ("v-key", "v-secret", "v-token", "s1", "s2", "s3", "s4"):
        assert f'data-copy="{target}"' in page and f'id="{target}"' in page
