"""Keyless set-up: the metadata, the provider command, key rotation, start-up checks, AWS's rules."""

from __future__ import annotations

import io
import json

import pytest
from django.core import checks
from django.core.management import CommandError, call_command
from lxml import etree

from broker.principal import Principal
from federation.models import AwsAccount, Role
from federation.samlidp import rules, session
from federation.samlidp.rules import AssertionRefused, Claims
from tests.conftest import signed_in
from tests.keyless_support import make_pair, post_form, register_provider, use_pair

MD = {"md": "urn:oasis:names:tc:SAML:2.0:metadata", "ds": "http://www.w3.org/2000/09/xmldsig#"}
ALICE = Principal("alice", frozenset({"developers"}))


def published(client) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get("/aws/saml/metadata/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/samlmetadata+xml"
    root = etree.fromstring(response.content)
    assert root.get("entityID") == "http://127.0.0.1:8000/aws/saml/metadata/"
    return [n.text for n in root.iterfind(".//md:KeyDescriptor[@use='signing']//ds:X509Certificate", MD)]


def cert_b64(pair) -> str:  # type: ignore[no-untyped-def]
    return "".join(pair.cert.read_text().splitlines()[1:-1])


def sign_for_alice(endpoint: str) -> str:
    role = Role.objects.select_related("account").get(alias="prod-keyless")
    return session.sign(role, ALICE, duration_seconds=900).encoded


@pytest.mark.django_db
def test_rotation_publishes_both_certificates_then_switches_then_drops_the_old(
    keyless, client, settings, aws_saml_pair, aws_saml_next_pair
):
    # 1. Publish the next certificate beside the current one, and upload both to IAM.
    use_pair(settings, aws_saml_pair, next_cert=aws_saml_next_pair.cert)
    assert published(client) == [cert_b64(aws_saml_pair), cert_b64(aws_saml_next_pair)]
    register_provider()
    signed_by_old = sign_for_alice(keyless)
    # 2. Switch signing to the new key; the old certificate stays published for a while.
    use_pair(settings, aws_saml_next_pair, next_cert=aws_saml_pair.cert)
    signed_by_new = sign_for_alice(keyless)
    assert signed_by_new != signed_by_old
    assert post_form(keyless, {"SAMLResponse": signed_by_new})[0] == 200
    assert post_form(keyless, {"SAMLResponse": signed_by_old})[0] == 200  # still trusted
    # 3. Drop the old certificate from the metadata and from IAM: the old key is no longer trusted.
    use_pair(settings, aws_saml_next_pair)
    assert published(client) == [cert_b64(aws_saml_next_pair)]
    register_provider()
    assert post_form(keyless, {"SAMLResponse": sign_for_alice(keyless)})[0] == 200
    use_pair(settings, aws_saml_pair)
    status, page = post_form(keyless, {"SAMLResponse": sign_for_alice(keyless)})
    assert status == 403 and "no signature by a certificate" in page


@pytest.mark.django_db
def test_the_metadata_without_a_key_is_a_clear_503(client, settings):
    settings.BROKER_AWS_SAML_KEY_FILE = settings.BROKER_AWS_SAML_KEY = settings.BROKER_AWS_SAML_CERT_FILE = ""
    settings.DEBUG = False
    response = client.get("/aws/saml/metadata/")
    assert response.status_code == 503
    assert b"BROKER_AWS_SAML_KEY_FILE" in response.content


@pytest.mark.django_db
def test_print_gives_the_metadata_and_a_trust_policy_and_changes_nothing(grants, settings, aws_saml_pair):
    use_pair(settings, aws_saml_pair)
    out = io.StringIO()
    call_command("awssamlprovider", "--print", stdout=out)
    text = out.getvalue()
    assert "<md:EntityDescriptor" in text and cert_b64(aws_saml_pair) in text
    policy = json.loads(text.split("# Trust policy for saml roles in account 123456789012:\n", 1)[1])
    statement = policy["Statement"][0]
    assert statement["Principal"] == {
        "Federated": "arn:aws:iam::123456789012:saml-provider/aws-identity-broker"
    }
    assert "sts:AssumeRoleWithSAML" in statement["Action"]
    assert statement["Condition"] == {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}


@pytest.mark.django_db
def test_the_command_names_an_unknown_account(grants, settings, aws_saml_pair):
    use_pair(settings, aws_saml_pair)
    with pytest.raises(CommandError, match="no such account: 999999999999"):
        call_command("awssamlprovider", "--account", "999999999999", stdout=io.StringIO())


def errors_from_checks() -> list[str]:
    return [m.id for m in checks.run_checks(tags=[checks.Tags.security]) if m.id.startswith("federation.")]


@pytest.mark.django_db
def test_start_up_stops_on_a_saml_role_without_a_key_or_with_a_weak_one(
    grants, settings, tmp_path, aws_saml_pair
):
    settings.DEBUG = False
    settings.BROKER_AWS_SAML_KEY_FILE = settings.BROKER_AWS_SAML_KEY = settings.BROKER_AWS_SAML_CERT_FILE = ""
    assert errors_from_checks() == ["federation.E101"]
    use_pair(settings, make_pair(tmp_path, "weak", bits=1024))
    assert errors_from_checks() == ["federation.E102"]
    use_pair(settings, aws_saml_pair)
    assert errors_from_checks() == []
    Role.objects.filter(method="saml").update(method="assume_role")
    settings.BROKER_AWS_SAML_CERT_FILE = ""
    assert errors_from_checks() == []  # no saml role: no key needed


GOOD = Claims(
    role_arn="arn:aws:iam::123456789012:role/Keyless",
    provider_arn="arn:aws:iam::123456789012:saml-provider/broker",
    session_name="alice",
    source_identity="alice",
    duration_seconds=3600,
    max_seconds=43200,
)
BROKEN = [
    ({"provider_arn": "arn:aws:iam::210987654321:saml-provider/broker"}, "same account and partition"),
    ({"provider_arn": "arn:aws-us-gov:iam::123456789012:saml-provider/broker"}, "same account and partition"),
    ({"role_arn": "arn:aws:iam::123456789012:role/a,b"}, "with a comma"),
    ({"provider_arn": "arn:aws:iam::123456789012:role/x"}, "not an IAM SAML provider ARN"),
    ({"session_name": "a"}, "RoleSessionName must be 2 to 64"),
    ({"session_name": "x" * 65}, "RoleSessionName must be 2 to 64"),
    ({"source_identity": "has space"}, "SourceIdentity must be"),
    ({"source_identity": "aws:alice"}, "SourceIdentity must be"),
    ({"duration_seconds": 899}, "between 900 and 43200"),
    ({"duration_seconds": 43201}, "between 900 and 43200"),
    ({"duration_seconds": 7200, "max_seconds": 3600}, "between 900 and 3600"),
    ({"tags": {f"k{i}": "v" for i in range(51)}}, "at most 50 session tags"),
    ({"tags": {"k" * 129: "v"}}, "tag key"),
    ({"tags": {"Team": "v" * 257}}, "longer than 256"),
    ({"tags": {"Team": "a"}, "transitive_keys": ["Project"]}, "transitive tag keys must be session tags"),
]


@pytest.mark.parametrize(("change", "reason"), BROKEN, ids=[str(i) for i in range(len(BROKEN))])
def test_aws_rules_are_refused_before_signing(change, reason):
    import dataclasses

    with pytest.raises(AssertionRefused, match=reason):
        rules.check(dataclasses.replace(GOOD, **change))


def test_the_assertion_size_limit_is_aws_s():
    rules.check(GOOD)
    rules.check_size("x" * 100_000)
    with pytest.raises(AssertionRefused, match="AWS takes at most 100000"):
        rules.check_size("x" * 100_001)


@pytest.mark.django_db
def test_a_saml_role_whose_account_lost_its_provider_is_a_clear_400(keyless, alice_client):
    AwsAccount.objects.filter(account_id="123456789012").update(saml_provider_arn="")
    response = alice_client.post("/roles/prod-keyless/console/")
    assert response.status_code == 400
    assert "has no SAML provider ARN" in response.content.decode()


@pytest.mark.django_db
def test_the_admin_refuses_a_provider_in_another_account(admin_user):
    account = AwsAccount.objects.get(account_id="123456789012")
    form = {"account_id": account.account_id, "name": account.name, "partition": "aws", "admin_role_arn": "",
            "saml_provider_arn": "arn:aws:iam::210987654321:saml-provider/broker"}  # fmt: skip
    response = signed_in(admin_user).post(f"/admin/federation/awsaccount/{account.pk}/change/", form)
    assert response.status_code == 200
    assert "The ARN names account 210987654321, not 123456789012" in response.content.decode()


@pytest.mark.django_db
def test_the_admin_refuses_a_saml_role_in_an_account_without_a_provider(admin_user):
    role = Role.objects.get(alias="sandbox-admin")
    form = {"alias": role.alias, "account": role.account_id, "arn": role.arn, "method": "saml",
            "max_session_seconds": 3600, "description": "", "session_tags": "{}", "federation_policy": "",
            "grants-TOTAL_FORMS": 0, "grants-INITIAL_FORMS": 0}  # fmt: skip
    response = signed_in(admin_user).post(f"/admin/federation/role/{role.pk}/change/", form)
    assert response.status_code == 200
    assert "needs its account (111122223333) to have a SAML provider ARN" in response.content.decode()
    assert Role.objects.get(alias="sandbox-admin").method == "assume_role"
