"""Role.method is stored and validated; the grants file takes it and saml_provider_arn, and exports them.

The contract: ``assume_role`` is the default with an ARN, ``federation_token``
without; ``saml`` needs an ARN and an account with a SAML provider;
``web_identity`` is refused by this version, by the model and the file alike.
"""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from federation.models import AwsAccount, Role

PROVIDER = "arn:aws:iam::123456789012:saml-provider/broker"
FILE = f"""accounts:
  - id: '123456789012'
    name: Production
    saml_provider_arn: {PROVIDER}
roles:
  - alias: keyless-admin
    arn: arn:aws:iam::123456789012:role/Admin
    method: saml
    max_session_seconds: 43200
  - alias: prod-admin
    arn: arn:aws:iam::123456789012:role/Admin
  - alias: reader
    account: '123456789012'
    federation_policy:
      {{Version: '2012-10-17', Statement: [{{Effect: Allow, Action: 's3:Get*', Resource: '*'}}]}}
"""


def load(tmp_path, text: str) -> str:
    path = tmp_path / "grants.yaml"
    path.write_text(text)
    out = io.StringIO()
    call_command("loadgrants", str(path), stdout=out)
    return out.getvalue()


def refusal(tmp_path, text: str) -> str:
    with pytest.raises(CommandError) as error:
        load(tmp_path, text)
    return str(error.value)


def export() -> str:
    out = io.StringIO()
    call_command("exportgrants", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_file_s_methods_and_defaults_are_stored(tmp_path):
    load(tmp_path, FILE)
    methods = dict(Role.objects.values_list("alias", "method"))
    assert methods == {"keyless-admin": "saml", "prod-admin": "assume_role", "reader": "federation_token"}
    assert AwsAccount.objects.get().saml_provider_arn == PROVIDER


@pytest.mark.django_db
def test_export_writes_method_and_provider_and_loads_back_unchanged(tmp_path):
    load(tmp_path, FILE)
    exported = export()
    data = yaml.safe_load(exported)
    assert data["accounts"][0]["saml_provider_arn"] == PROVIDER
    by_alias = {role["alias"]: role for role in data["roles"]}
    assert by_alias["keyless-admin"]["method"] == "saml"
    assert "method" not in by_alias["prod-admin"]  # the default is not repeated
    assert "0 created, 0 updated" in load(tmp_path, exported)
    assert export() == exported


@pytest.mark.django_db
def test_a_saml_role_needs_its_account_s_provider(tmp_path):
    text = FILE.replace(f"    saml_provider_arn: {PROVIDER}\n", "")
    message = refusal(tmp_path, text)
    assert "roles[0]" in message and "needs its account (123456789012) to have a SAML provider ARN" in message
    assert not Role.objects.exists()


@pytest.mark.django_db
def test_a_saml_role_needs_an_arn(tmp_path):
    text = FILE + "  - alias: no-arn\n    account: '123456789012'\n    method: saml\n"
    assert "roles[3] (line 16): arn: A saml role needs a role ARN" in refusal(tmp_path, text)


@pytest.mark.django_db
def test_web_identity_is_not_supported_by_this_version(tmp_path):
    text = FILE.replace("method: saml", "method: web_identity")
    assert "roles[0].method (line 8): not supported by this version (web_identity:" in refusal(tmp_path, text)


@pytest.mark.django_db
def test_an_unknown_method_names_the_known_ones(tmp_path):
    text = FILE.replace("method: saml", "method: oidc")
    message = refusal(tmp_path, text)
    assert "roles[0].method (line 8): unknown method 'oidc'; one of: assume_role, federation_token" in message


PROVIDER_FAULTS = [
    ("arn:aws:iam::123456789012:role/broker", "Not an IAM SAML provider ARN"),
    ("arn:aws:iam::210987654321:saml-provider/broker", "names account 210987654321, not 123456789012"),
    ("arn:aws-cn:iam::123456789012:saml-provider/broker", "in partition aws-cn, the account in aws"),
    ("arn:aws:iam::123456789012:saml-provider/bad name", "Not an IAM SAML provider ARN"),
    ("arn:aws:iam::123456789012:saml-provider/" + "n" * 129, "Not an IAM SAML provider ARN"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arn", "fault"), PROVIDER_FAULTS, ids=["role", "acct", "partition", "chars", "long"]
)
def test_a_provider_arn_must_be_this_account_s(tmp_path, arn, fault):
    message = refusal(tmp_path, FILE.replace(PROVIDER, f"'{arn}'"))
    assert "accounts[0] (line 2): saml_provider_arn:" in message and fault in message


@pytest.mark.django_db
def test_the_model_refuses_web_identity_and_a_policy_on_a_saml_role():
    account = AwsAccount.objects.create(account_id="123456789012", name="P", saml_provider_arn=PROVIDER)
    arn = "arn:aws:iam::123456789012:role/Admin"
    with pytest.raises(ValidationError, match="not supported by this version"):
        Role(alias="w", account=account, arn=arn, method="web_identity").full_clean()
    policy = {"Version": "2012-10-17", "Statement": []}
    with pytest.raises(ValidationError, match="Only federation_token roles take a federation policy"):
        Role(alias="s", account=account, arn=arn, method="saml", federation_policy=policy).full_clean()
    Role(alias="ok", account=account, arn=arn, method="saml", max_session_seconds=43200).full_clean()


@pytest.mark.django_db
def test_a_role_saved_without_a_method_gets_the_default():
    account = AwsAccount.objects.create(account_id="123456789012", name="P")
    with_arn = Role.objects.create(alias="a", account=account, arn="arn:aws:iam::123456789012:role/A")
    without = Role.objects.create(alias="f", account=account, federation_policy={"Version": "2012-10-17"})
    assert (with_arn.method, without.method) == ("assume_role", "federation_token")


@pytest.mark.django_db(transaction=True)
def test_the_migration_derives_the_method_from_the_arn():
    executor = MigrationExecutor(connection)
    executor.migrate([("federation", "0004_account_admin_role_arn")])
    old = executor.loader.project_state([("federation", "0004_account_admin_role_arn")]).apps
    account = old.get_model("federation", "AwsAccount").objects.create(account_id="123456789012", name="P")
    old_role = old.get_model("federation", "Role")
    old_role.objects.create(alias="a", account=account, arn="arn:aws:iam::123456789012:role/A")
    old_role.objects.create(alias="f", account=account, federation_policy={})
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert dict(Role.objects.values_list("alias", "method")) == {"a": "assume_role", "f": "federation_token"}
