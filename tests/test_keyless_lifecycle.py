"""saml sessions in the rest of the life cycle: refresh ahead, revocation, the kill switch, logs."""

from __future__ import annotations

import json
import logging
import time

import pytest
from django.contrib.auth.models import User

from broker.redaction import RedactSecretsFilter
from federation import credcache, iam, revocation, tasks
from federation.models import Issuance, Role
from tests.apifixtures import age, bearer, create_client, spec_for, wait_until
from tests.keyless_support import form_fields

CREDENTIALS = "/api/v1/roles/prod-keyless/credentials"
ASSERTION_START = "PHNhbWxwOlJlc3BvbnNl"  # base64 of "<samlp:Response": how every assertion begins


@pytest.mark.django_db(transaction=True)
def test_the_worker_renews_a_saml_session_before_it_expires(keyless, cache_redis, celery_worker, alice):
    token = create_client("keyless-app", "prod-keyless")
    api = bearer(token)
    first = api.get(CREDENTIALS).json()
    spec = spec_for(token, "prod-keyless")
    age(spec, remaining=1900)

    tasks.refresh_due.delay()
    fresh = wait_until(
        lambda: (e := credcache.peek(spec)) and e.credentials.access_key_id != first["AccessKeyId"] and e,
        message="the worker did not refresh the saml session",
    )
    assert fresh.credentials.method == "saml"
    assert fresh.remaining(time.time()) > 3000
    assert api.get(CREDENTIALS).json()["AccessKeyId"] == fresh.credentials.access_key_id
    refreshed = Issuance.objects.filter(role_alias="prod-keyless", purpose="api-refresh")
    assert list(refreshed.values_list("method", flat=True)) == ["saml"]


@pytest.mark.django_db
def test_the_kill_switch_denies_the_person_on_the_saml_roles_they_used(keyless, alice_client, alice):
    alice_client.post("/roles/prod-keyless/console/")  # a console hop: no STS call, still in the ledger
    role = Role.objects.get(alias="prod-keyless")
    assert role in revocation.roles_held("alice")

    steps = revocation.kill_switch(user=alice, actor="admin", deny_on_roles=True)
    assert any(step.what == "aws prod-keyless" and step.ok for step in steps), steps
    document = iam._client(role).get_role_policy(
        RoleName="Keyless", PolicyName="BrokerDenySourceIdentity-alice"
    )
    assert document["PolicyDocument"]["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceIdentity": "alice"}
    }
    assert not User.objects.get(username="alice").is_active


@pytest.mark.django_db
def test_revoking_a_saml_role_s_sessions_attaches_aws_revoke_older_sessions(keyless):
    role = Role.objects.get(alias="prod-keyless")
    steps = revocation.revoke_role_sessions(role=role, actor="admin")
    assert steps[0].ok, steps
    names = iam._client(role).list_role_policies(RoleName="Keyless")["PolicyNames"]
    assert "AWSRevokeOlderSessions" in names


@pytest.mark.django_db
def test_no_assertion_reaches_any_log(keyless, alice_client, cache_redis, caplog):
    caplog.handler.addFilter(RedactSecretsFilter())
    api = bearer(create_client("keyless-app", "prod-keyless"))
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="botocore"):
        hop = alice_client.post("/roles/prod-keyless/console/")
        alice_client.post("/roles/prod-keyless/credentials/")
        api.get(CREDENTIALS)
    assertion = form_fields(hop.content.decode())[1]["SAMLResponse"]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert any(
        r.name.startswith("botocore") and "AssumeRoleWithSAML" in r.getMessage() for r in caplog.records
    )
    assert assertion[:200] not in logged
    assert ASSERTION_START not in logged
    assert "SignatureValue" not in logged
    assert json.dumps(assertion) not in str(list(Issuance.objects.values()))  # nor in the ledger


@pytest.mark.django_db
def test_mfa_required_grants_apply_to_saml_roles(keyless, alice_client):
    from federation.models import Grant

    Grant.objects.filter(role__alias="prod-keyless").update(require_mfa="any")
    response = alice_client.post("/roles/prod-keyless/console/")
    assert response.status_code == 403  # the MFA page, and no assertion signed
    assert b"SAMLResponse" not in response.content
    assert not Issuance.objects.filter(role_alias="prod-keyless").exists()
