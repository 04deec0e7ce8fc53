"""loadgrants / exportgrants: an idempotent upsert that names the fault in a bad file."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from django.core.management import CommandError, call_command

from broker.models import AuditEvent
from federation.models import AwsAccount, Grant, Role
from tests.conftest import DEMO_GRANTS


def export(fmt: str = "yaml") -> str:
    out = io.StringIO()
    call_command("exportgrants", format=fmt, stdout=out)
    return out.getvalue()


def load(tmp_path, text: str, *args: str) -> str:
    path = tmp_path / "grants.yaml"
    path.write_text(text)
    out = io.StringIO()
    call_command("loadgrants", str(path), *args, stdout=out)
    return out.getvalue()


def snapshot() -> tuple:
    return (
        sorted(AwsAccount.objects.values_list("account_id", "name")),
        sorted(Role.objects.values_list("alias", "arn", "max_session_seconds")),
        sorted(Grant.objects.values_list("group__name", "role__alias", "session_seconds")),
    )


@pytest.mark.django_db
def test_export_then_load_round_trips(tmp_path):
    load(tmp_path, DEMO_GRANTS.read_text())
    before, exported = snapshot(), export()

    assert "0 created, 0 updated" in load(tmp_path, exported)
    assert snapshot() == before
    assert export() == exported
    assert yaml.safe_load(exported) == json.loads(export("json"))


@pytest.mark.django_db
def test_require_mfa_round_trips_and_is_left_out_when_off(tmp_path):
    text = DEMO_GRANTS.read_text().replace(
        "    role: sandbox-admin\n", "    role: sandbox-admin\n    require_mfa: true\n"
    )
    load(tmp_path, text)
    exported = yaml.safe_load(export())
    flagged = [(g["group"], g["role"]) for g in exported["grants"] if g.get("require_mfa")]
    assert flagged == [("developers", "sandbox-admin")]
    assert all(g.get("require_mfa", True) is True for g in exported["grants"])

    load(tmp_path, DEMO_GRANTS.read_text())
    assert not Grant.objects.exclude(require_mfa="").exists()


@pytest.mark.django_db
def test_require_mfa_webauthn_round_trips(tmp_path):
    text = DEMO_GRANTS.read_text().replace(
        "    role: sandbox-admin\n", "    role: sandbox-admin\n    require_mfa: webauthn\n"
    )
    load(tmp_path, text)
    grant = Grant.objects.get(group__name="developers", role__alias="sandbox-admin")
    assert grant.require_mfa == "webauthn"
    exported = export()
    levels = [g["require_mfa"] for g in yaml.safe_load(exported)["grants"] if "require_mfa" in g]
    assert levels == ["webauthn"]
    load(tmp_path, exported)
    assert Grant.objects.get(pk=grant.pk).require_mfa == "webauthn"


@pytest.mark.django_db
def test_loading_twice_changes_nothing(tmp_path):
    load(tmp_path, DEMO_GRANTS.read_text())
    second = load(tmp_path, DEMO_GRANTS.read_text())
    assert "0 created, 0 updated" in second


@pytest.mark.django_db
def test_prune_deletes_what_the_file_no_longer_lists(tmp_path):
    load(tmp_path, DEMO_GRANTS.read_text())
    data = yaml.safe_load(DEMO_GRANTS.read_text())
    data["grants"] = [g for g in data["grants"] if g["group"] != "auditors"]
    load(tmp_path, yaml.safe_dump(data), "--prune")
    assert not Grant.objects.filter(group__name="auditors").exists()
    assert Grant.objects.filter(group__name="developers").count() == 4


@pytest.mark.django_db
def test_without_prune_nothing_is_deleted(tmp_path):
    load(tmp_path, DEMO_GRANTS.read_text())
    load(tmp_path, "grants: []\n")
    assert Grant.objects.count() == 6


BAD_FILES = [
    ("accounts: [\n", "line 2"),
    ("roles:\n  - alias: x\n    arn: arn:aws:iam::12:role/X\n", "roles[0].arn (line 3)"),
    ("accounts:\n  - id: '123456789012'\n    name: P\n"
     "roles:\n  - alias: x\n    arn: arn:aws:iam::999999999999:role/X\n",
     "account 999999999999 is not listed"),
    ("grants:\n  - group: g\n    role: nope\n", "grants[0].role (line 3): no role with alias 'nope'"),
    ("accounts:\n  - id: '12345'\n    name: P\n", "accounts[0] (line 2): account_id"),
    ("grants:\n  - group: g\n    role: prod-developer\n    session_seconds: ten\n",
     "grants[0].session_seconds (line 4): must be a whole number"),
    ("accounts:\n  - id: '123456789012'\n    name: P\nroles:\n  - alias: y\n    account: '123456789012'\n"
     "    federation_policy: {Version: '2012-10-17', Statement: []}\n", "federation_policy"),
    ("grants:\n  - group: g\n    role: prod-developer\n    require_mfa: sometimes\n",
     "grants[0].require_mfa (line 4): must be true, false or webauthn"),
    ("surprise: 1\n", "surprise (line 1): unknown key"),
    ("- just\n- a list\n", "must be a mapping"),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "fault"), BAD_FILES)
def test_a_bad_file_changes_nothing_and_names_the_fault(tmp_path, text, fault):
    load(tmp_path, DEMO_GRANTS.read_text())
    before = snapshot()
    with pytest.raises(CommandError) as error:
        load(tmp_path, text)
    assert fault in str(error.value)
    assert "nothing was changed" in str(error.value)
    assert snapshot() == before


@pytest.mark.django_db
def test_a_fault_late_in_a_file_rolls_back_the_earlier_entries(tmp_path):
    text = DEMO_GRANTS.read_text() + "  - group: late\n    role: missing-role\n"
    with pytest.raises(CommandError, match="missing-role"):
        load(tmp_path, text)
    assert snapshot() == ([], [], [])


@pytest.mark.django_db
def test_loading_is_audited(tmp_path):
    load(tmp_path, DEMO_GRANTS.read_text())
    assert AuditEvent.objects.filter(action="grants.loaded").count() == 1
    assert AuditEvent.objects.filter(action="grant.changed").count() == 6


@pytest.mark.django_db
def test_prune_refuses_a_grant_to_a_role_the_file_omits(tmp_path):
    load(tmp_path, DEMO_GRANTS.read_text())
    before = snapshot()
    with pytest.raises(CommandError, match="listed under roles"):
        load(tmp_path, "grants:\n  - group: developers\n    role: prod-developer\n", "--prune")
    assert snapshot() == before
