"""The grants file refuses every key it does not know, at every level, and changes nothing.

A key silently ignored in an access-control file turns what its author meant
(an approval gate, a keyless method) into standing access; these tests pin
that each level refuses, names the key, its path and line, and the keys
allowed there, and that the database is untouched afterwards.
"""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from broker.models import AuditEvent
from federation.models import AwsAccount, Grant, Role
from federation.policies import PolicyError, validate_policy
from tests.conftest import signed_in

HEAD = "accounts:\n  - id: '123456789012'\n    name: Production\n"
ROLE = "roles:\n  - alias: prod-admin\n    arn: arn:aws:iam::123456789012:role/Admin\n"
GRANT = "grants:\n  - group: developers\n    role: prod-admin\n"


def counts() -> tuple[int, int, int, int]:
    """Rows that a refused load must leave exactly as they were."""
    return (AwsAccount.objects.count(), Role.objects.count(), Grant.objects.count(),
            AuditEvent.objects.filter(action="grants.loaded").count())  # fmt: skip


def refused(tmp_path, text: str) -> str:
    """Load ``text`` with loadgrants, expect a refusal, and return its message."""
    path = tmp_path / "grants.yaml"
    path.write_text(text)
    before = counts()
    with pytest.raises(CommandError) as error:
        call_command("loadgrants", str(path), stdout=io.StringIO())
    assert counts() == before
    message = str(error.value)
    assert message.endswith("nothing was changed")
    return message


@pytest.fixture
def loaded(grants) -> None:  # type: ignore[no-untyped-def]
    """The demo estate is in the database, so a refusal has something to leave alone."""


UNKNOWN_AT_EACH_LEVEL = [
    ("top level", "version: 2\n" + HEAD, "version (line 1): unknown key; allowed: accounts, roles, grants"),
    ("account", HEAD + "    owner: finance\n",
     "accounts[0].owner (line 4): unknown key; allowed: id, name, partition, saml_provider_arn"),
    ("role", HEAD + ROLE + "    tags: {team: a}\n",
     "roles[0].tags (line 7): unknown key; allowed: alias, arn, account, method, max_session_seconds, "
     "description, federation_policy, session_tags"),
    ("grant", HEAD + ROLE + GRANT + "    expires: tomorrow\n",
     "grants[0].expires (line 10): unknown key; allowed: group, role, session_seconds, session_policy, "
     "require_mfa"),
    ("policy document", HEAD + ROLE + GRANT
     + "    session_policy:\n      Version: '2012-10-17'\n      Statment: []\n",
     "grants[0].session_policy.Statment (line 12): unknown key; did you mean `Statement`?; "
     "allowed: Version, Id, Statement"),
    ("policy statement", HEAD + "roles:\n  - alias: reader\n    account: '123456789012'\n"
     "    federation_policy:\n      Version: '2012-10-17'\n      Statement:\n"
     "        - Effect: Allow\n          Action: 's3:Get*'\n          Resources: '*'\n",
     "roles[0].federation_policy.Statement[0].Resources (line 12): unknown key; did you mean `Resource`?"),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("level", "text", "fault"), UNKNOWN_AT_EACH_LEVEL, ids=lambda case: str(case)[:20])
def test_it_refuses_an_unknown_key_at_each_level(tmp_path, loaded, level, text, fault):
    assert fault in refused(tmp_path, text)


@pytest.mark.django_db
def test_a_typo_is_refused_with_the_key_it_probably_meant(tmp_path, loaded):
    message = refused(tmp_path, HEAD + ROLE + GRANT + "    sesion_seconds: 3600\n")
    assert "grants[0].sesion_seconds (line 10): unknown key; did you mean `session_seconds`?" in message


@pytest.mark.django_db
def test_the_issue_s_typo_metod_points_at_method(tmp_path, loaded):
    message = refused(tmp_path, HEAD + ROLE + "    metod: saml\n")
    assert "roles[0].metod (line 7): unknown key; did you mean `method`?" in message


@pytest.mark.django_db
def test_a_key_with_no_close_match_gets_no_guess(tmp_path, loaded):
    message = refused(tmp_path, HEAD + ROLE + GRANT + "    zzz: 1\n")
    assert "did you mean" not in message
    assert "grants[0].zzz (line 10): unknown key; allowed: group, role" in message


LATER_KEYS = [
    ("method web_identity", HEAD + ROLE + "    method: web_identity\n", "roles[0].method (line 7)"),
    ("approval", HEAD + ROLE + GRANT + "    approval: {approvers: [approvers]}\n",
     "grants[0].approval (line 10)"),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "text", "where"), LATER_KEYS, ids=[c[0] for c in LATER_KEYS])
def test_keys_of_capabilities_not_built_yet_are_refused_as_such(tmp_path, loaded, key, text, where):
    message = refused(tmp_path, text)
    assert f"{where}: not supported by this version" in message


@pytest.mark.django_db
def test_an_approval_gated_grant_never_becomes_standing_access(tmp_path, loaded):
    """The issue's own story: the admin meant an approval gate; nothing may be granted at all."""
    refused(tmp_path, HEAD + ROLE + GRANT + "    approval: {approvers: [approvers]}\n")
    assert not Role.objects.filter(alias="prod-admin").exists()
    out = io.StringIO()
    call_command("exportgrants", stdout=out)
    assert "prod-admin" not in out.getvalue()


@pytest.mark.django_db
def test_a_json_file_is_checked_the_same_way(tmp_path, loaded):
    text = '{"accounts": [{"id": "123456789012", "name": "P", "colour": "red"}]}'
    assert "accounts[0].colour (line 1): unknown key" in refused(tmp_path, text)


@pytest.mark.django_db
def test_the_export_still_loads_back_unchanged(tmp_path, loaded):
    out = io.StringIO()
    call_command("exportgrants", stdout=out)
    path = tmp_path / "export.yaml"
    path.write_text(out.getvalue())
    result = io.StringIO()
    call_command("loadgrants", str(path), stdout=result)
    assert "0 created, 0 updated" in result.getvalue()
    assert yaml.safe_load(out.getvalue())["roles"]


@pytest.mark.django_db
def test_the_admin_load_page_shows_the_same_refusal(admin_user):
    client = signed_in(admin_user)
    before = counts()
    upload = SimpleUploadedFile("g.yaml", (HEAD + ROLE + GRANT + "    approval: {approvals: 2}\n").encode())
    response = client.post("/admin/federation/role/grants-file/load/", {"file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "grants[0].approval (line 10): not supported by this version" in page
    assert "nothing was changed" in page
    assert counts() == before


def test_a_policy_with_an_element_aws_does_not_know_is_refused_everywhere():
    """The API's and the admin's policy fields share the check (not only the grants file)."""
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resorce": "*"}]}
    with pytest.raises(PolicyError, match="Statement\\[0\\] has an element AWS does not know: 'Resorce'"):
        validate_policy(policy)
