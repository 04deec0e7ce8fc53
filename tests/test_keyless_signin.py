"""Keyless federation end to end: the broker signs, the stand-in verifies as AWS would, moto issues.

alice holds ``prod-keyless`` (method saml, role Keyless). Every way in (the
console hop, the CLI page, the REST formats) lands on
``assumed-role/Keyless/alice`` and leaves its ledger row and audit event.
"""

from __future__ import annotations

import boto3
import pytest

from broker.models import AuditEvent
from federation.models import Issuance
from tests.apifixtures import bearer, create_client
from tests.keyless_support import decoded, form_fields, post_form

IDENTITY = "arn:aws:sts::123456789012:assumed-role/Keyless/alice"


def caller_arn(access_key_id: str, secret: str, token: str) -> str:
    sts = boto3.client(
        "sts", aws_access_key_id=access_key_id, aws_secret_access_key=secret, aws_session_token=token
    )
    return sts.get_caller_identity()["Arn"]


@pytest.mark.django_db
def test_the_console_hop_posts_a_signed_response_to_aws_and_lands_on_the_person(keyless, alice_client):
    response = alice_client.post("/roles/prod-keyless/console/", {"duration": "43200"})

    assert response.status_code == 200
    action, fields = form_fields(response.content.decode())
    assert action == keyless
    assert set(fields) == {"SAMLResponse", "RelayState"}
    assert fields["RelayState"] == "https://console.aws.amazon.com/"
    status, page = post_form(action, fields)
    assert status == 200, page
    assert f'<code id="identity">{IDENTITY}</code>' in page
    assert '<code id="duration">43200</code>' in page  # 12 h: not capped at 1 h like a chained session


@pytest.mark.django_db
def test_the_console_page_is_not_stored_sends_no_referrer_and_posts_only_to_aws(keyless, alice_client):
    response = alice_client.post("/roles/prod-keyless/console/")

    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    policy = response["Content-Security-Policy"]
    assert f"form-action {keyless}" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    page = response.content.decode()
    assert '<script src="/static/saml-post.js"></script>' in page
    assert "<script>" not in page  # no inline script
    assert '<button type="submit"' in page  # works without script


@pytest.mark.django_db
def test_the_assertion_says_what_aws_reads(keyless, alice_client):
    response = alice_client.post("/roles/prod-keyless/console/", {"duration": "3600"})
    xml = decoded(form_fields(response.content.decode())[1]).decode()

    assert (
        "arn:aws:iam::123456789012:role/Keyless,arn:aws:iam::123456789012:saml-provider/aws-identity-broker"
        in xml
    )
    assert 'Recipient="' + keyless + '"' in xml and 'Destination="' + keyless + '"' in xml
    assert "<saml:Audience>https://signin.aws.amazon.com/saml</saml:Audience>" in xml
    for name, value in [
        ("RoleSessionName", "alice"),
        ("SourceIdentity", "alice"),
        ("SessionDuration", "3600"),
    ]:
        assert f'Name="https://aws.amazon.com/SAML/Attributes/{name}"><saml:AttributeValue>{value}<' in xml
    assert "alice" not in xml.split("<saml:NameID", 1)[1].split("</saml:NameID>", 1)[0]  # opaque


@pytest.mark.django_db
def test_the_console_hop_leaves_one_ledger_row_and_one_audit_event(keyless, alice_client):
    response = alice_client.post("/roles/prod-keyless/console/")
    fields = form_fields(response.content.decode())[1]

    row = Issuance.objects.get(role_alias="prod-keyless")
    assert (row.method, row.purpose, row.username) == ("saml", "console", "alice")
    event = AuditEvent.objects.get(action="console.saml")
    assert event.access_key_id == row.access_key_id  # the assertion's ID, not a secret
    assert (event.actor, event.role_alias, event.method) == ("alice", "prod-keyless", "saml")
    assert fields["SAMLResponse"] not in str(event.detail)


@pytest.mark.django_db
def test_the_cli_page_gives_credentials_aws_accepts(keyless, alice_client):
    response = alice_client.post("/roles/prod-keyless/credentials/", follow=True)

    assert response.status_code == 200
    issued = response.context["credentials"]
    assert issued.method == "saml"
    assert caller_arn(issued.access_key_id, issued.secret_access_key, issued.session_token) == IDENTITY
    assert Issuance.objects.get(role_alias="prod-keyless").method == "saml"


@pytest.mark.django_db
def test_every_rest_format_serves_a_saml_role(keyless, cache_redis, alice):
    token = create_client("keyless-app", "prod-keyless", max_session_seconds=3600)
    api = bearer(token)

    session = api.post("/api/v1/sessions/", {"role": "prod-keyless"}, content_type="application/json")
    assert session.status_code == 201, session.content
    body = session.json()
    assert caller_arn(body["AccessKeyId"], body["SecretAccessKey"], body["SessionToken"]).startswith(
        "arn:aws:sts::123456789012:assumed-role/Keyless/"
    )
    container = api.get("/api/v1/roles/prod-keyless/credentials").json()
    assert container["RoleArn"] == "arn:aws:iam::123456789012:role/Keyless"
    assert caller_arn(container["AccessKeyId"], container["SecretAccessKey"], container["Token"])
    process = api.get("/api/v1/roles/prod-keyless/credentials?format=process").json()
    assert process["Version"] == 1 and process["SessionToken"]
    roles = {r["alias"]: r for r in api.get("/api/v1/roles/").json()}
    assert roles["prod-keyless"]["method"] == "saml"


@pytest.mark.django_db
def test_the_api_console_url_for_a_saml_role_signs_in_through_getsignintoken(keyless, cache_redis, alice):
    from tests.test_console import follow

    api = bearer(create_client("keyless-console", "prod-keyless", max_session_seconds=43200))
    response = api.post(
        "/api/v1/console-url/",
        {"role": "prod-keyless", "duration_seconds": 7200},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    page = follow(response.json()["url"])
    assert "assumed-role/Keyless/" in page
    assert '<code id="duration">7200</code>' in page  # SessionDuration allowed: not a chained session
