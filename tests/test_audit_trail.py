"""The audit trail: one event per thing that happened, never a secret, append-only, exportable."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from broker.apitokens.models import ApiClient
from broker.models import AuditEvent
from federation.models import Grant
from tests.conftest import DEMO_GRANTS, signed_in

CREDENTIALS = "/api/v1/roles/prod-developer/credentials"


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def fresh(since_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=since_id).order_by("id"))


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.fixture
def admin_client(admin_user):  # type: ignore[no-untyped-def]
    return signed_in(admin_user)


@pytest.mark.django_db
def test_portal_credentials_write_one_event_naming_everything(aws, alice_client):
    start = last_id()
    page = alice_client.post(
        "/roles/prod-developer/credentials/", REMOTE_ADDR="10.1.2.3", follow=True
    ).content.decode()

    [event] = fresh(start)
    key = re.search(r"AWS_ACCESS_KEY_ID='?([A-Z0-9]+)", page).group(1)
    assert (event.action, event.actor, event.source_ip) == ("credentials.issued", "alice", "10.1.2.3")
    assert (event.role_alias, event.method, event.outcome) == ("prod-developer", "assume_role", "ok")
    assert event.access_key_id == key


@pytest.mark.django_db
def test_a_portal_console_url_writes_one_event(aws, alice_client):
    start = last_id()
    assert alice_client.post("/roles/prod-developer/console/").status_code == 302

    [event] = fresh(start)
    assert (event.action, event.actor, event.role_alias, event.outcome) == (
        "console.url",
        "alice",
        "prod-developer",
        "ok",
    )
    assert event.access_key_id.startswith("ASIA")


@pytest.mark.django_db
def test_a_console_url_for_a_role_you_lack_is_audited_as_refused(aws, bob_client):
    start = last_id()
    assert bob_client.post("/roles/sandbox-admin/console/").status_code == 403

    [event] = fresh(start)
    assert (event.action, event.actor, event.outcome) == ("access.refused", "bob", "denied")
    assert event.detail == {"reason": "RoleNotAvailable", "purpose": "console"}


@pytest.mark.django_db
def test_an_api_miss_writes_an_issuance_and_a_delivery_and_a_hit_only_a_delivery(api):
    start = last_id()
    first = api.get(CREDENTIALS).json()
    assert [e.action for e in fresh(start)] == ["credentials.issued", "credentials.delivered"]

    start = last_id()
    assert api.get(CREDENTIALS + "?format=process").json()["AccessKeyId"] == first["AccessKeyId"]
    [hit] = fresh(start)
    assert (hit.action, hit.actor, hit.access_key_id) == (
        "credentials.delivered",
        "api:billing",
        first["AccessKeyId"],
    )
    assert hit.detail["source"] == "cache" and hit.detail["format"] == "process"
    assert re.fullmatch(r"brk_[0-9a-f]{12}", hit.detail["token"])


@pytest.mark.django_db
def test_an_api_console_url_writes_one_event(api):
    start = last_id()
    response = api.post("/api/v1/console-url/", {"role": "prod-developer"}, content_type="application/json")

    assert response.status_code == 201
    assert [e.action for e in fresh(start)] == ["console.url"]


@pytest.mark.django_db
def test_tokens_made_and_revoked_in_the_portal_are_audited(aws, cache_redis, alice_client):
    start = last_id()
    alice_client.post("/tokens/", {"label": "laptop", "days": "7"})
    [made] = fresh(start)
    token_id = alice_client.get("/tokens/").context["tokens"][0].pk

    alice_client.post("/tokens/", {"revoke": token_id})
    [revoked] = fresh(made.id)
    assert (made.action, made.actor) == ("apitoken.created", "alice")
    assert (revoked.action, revoked.actor, revoked.detail["token"]) == (
        "apitoken.revoked",
        "alice",
        made.detail["token"],
    )


@pytest.mark.django_db
def test_client_changes_in_the_admin_are_audited_once_each(admin_client, billing):
    start = last_id()
    form = {
        "name": "billing",
        "description": "",
        "max_session_seconds": "1800",
        "allowed_networks": '["10.0.0.0/8"]',
        "is_active": "on",
        "tokens-TOTAL_FORMS": "1",
        "tokens-INITIAL_FORMS": "1",
        "tokens-0-id": str(billing.tokens.get().pk),
        "tokens-0-client": str(billing.pk),
    }
    response = admin_client.post(f"/admin/broker/apiclient/{billing.pk}/change/", form)
    assert response.status_code == 302 and response["Location"] == "/admin/broker/apiclient/", response
    [changed] = fresh(start)
    assert changed.action == "apiclient.changed" and changed.actor == "admin"
    assert changed.detail["max_session_seconds"] == 1800
    assert changed.detail["allowed_networks"] == ["10.0.0.0/8"]

    start = last_id()
    admin_client.post(
        "/admin/broker/apiclient/", {"action": "revoke_clients", "_selected_action": [billing.pk]}
    )
    assert [(e.action, e.detail.get("client")) for e in fresh(start)] == [("apitoken.revoked", "billing")]
    assert not ApiClient.objects.get(pk=billing.pk).is_active


@pytest.mark.django_db
def test_grant_changes_and_grants_file_loads_are_audited(grants, tmp_path: Path):
    start = last_id()
    Grant.objects.filter(role__alias="prod-readonly").delete()
    deleted = fresh(start)
    assert {e.action for e in deleted} == {"grant.changed"}
    assert all(e.detail["change"] == "deleted" for e in deleted)

    start = last_id()
    call_command("loadgrants", str(DEMO_GRANTS), stdout=StringIO())
    events = fresh(start)
    assert events[-1].action == "grants.loaded"
    assert len([e for e in events if e.action == "grant.changed"]) == len(deleted)


@pytest.mark.django_db
def test_no_secret_reaches_the_audit_trail(api, alice_client, billing_token):
    session = api.post("/api/v1/sessions/", {"role": "prod-developer"}, content_type="application/json")
    console = api.post("/api/v1/console-url/", {"role": "prod-developer"}, content_type="application/json")
    page = alice_client.post("/roles/prod-developer/credentials/", follow=True).content.decode()

    dumped = json.dumps(list(AuditEvent.objects.values()), default=str)
    secrets = [
        session.json()["SecretAccessKey"],
        session.json()["SessionToken"],
        re.search(r"SigninToken=([^&]+)", console.json()["url"]).group(1),
        billing_token,
        billing_token.rsplit("_", 1)[1],
        *re.findall(r"export AWS_(?:SECRET_ACCESS_KEY|SESSION_TOKEN)='?([^'\n]+)", page),
    ]
    for secret in secrets:
        assert secret not in dumped
    assert session.json()["AccessKeyId"] in dumped


# --- Append-only, filterable and exportable ----------------------------------


@pytest.mark.django_db
def test_the_admin_can_neither_add_change_nor_delete_events(admin_client, alice_client, aws):
    alice_client.post("/roles/prod-developer/credentials/")
    event = AuditEvent.objects.get(action="credentials.issued")

    assert admin_client.get("/admin/broker/auditevent/add/").status_code == 403
    assert (
        admin_client.post(f"/admin/broker/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    admin_client.post(f"/admin/broker/auditevent/{event.pk}/change/", {"actor": "mallory"})
    bulk = admin_client.post(
        "/admin/broker/auditevent/", {"action": "delete_selected", "_selected_action": [event.pk]}
    )
    assert bulk.status_code in (200, 302)
    event.refresh_from_db()
    assert event.actor == "alice"


@pytest.mark.django_db
def test_an_admin_downloads_the_filtered_trail_as_json_lines(admin_client, aws, alice_client, bob_client):
    alice_client.post("/roles/prod-developer/credentials/")
    bob_client.post("/roles/sandbox-admin/credentials/")

    response = admin_client.get("/admin/broker/auditevent/export.jsonl?action__exact=access.refused")
    rows = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert response["Content-Type"].startswith("application/jsonl")
    assert [(r["action"], r["actor"], r["role_alias"]) for r in rows] == [
        ("access.refused", "bob", "sandbox-admin")
    ]
    assert AuditEvent.objects.filter(action="audit.exported", actor="admin").count() == 1


@pytest.mark.django_db
def test_an_admin_exports_selected_events_with_the_action(admin_client, aws, alice_client):
    alice_client.post("/roles/prod-developer/credentials/")
    picked = AuditEvent.objects.filter(action__in=["credentials.issued"]).values_list("pk", flat=True)

    response = admin_client.post(
        "/admin/broker/auditevent/", {"action": "export_jsonl", "_selected_action": list(picked)}
    )
    rows = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert [r["action"] for r in rows] == ["credentials.issued"]
    assert set(rows[0]) == {
        "id", "time", "action", "actor", "source_ip", "role_alias", "method", "access_key_id", "outcome",
        "detail",
    }  # fmt: skip


@pytest.mark.django_db
def test_exportaudit_writes_json_lines_filtered_by_time_and_action(aws, alice_client, bob_client, tmp_path):
    alice_client.post("/roles/prod-developer/credentials/")
    bob_client.post("/roles/sandbox-admin/credentials/")
    out = tmp_path / "audit.jsonl"

    call_command("exportaudit", "--action", "credentials.issued", "--output", str(out), stderr=StringIO())
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["actor"], r["role_alias"]) for r in rows] == [("alice", "prod-developer")]
    assert rows[0]["time"].endswith("Z")

    stdout = StringIO()
    call_command("exportaudit", "--since", "2000-01-01", "--until", "2000-01-02", stdout=stdout)
    assert stdout.getvalue() == ""
    everything = StringIO()
    call_command("exportaudit", "--since", "2000-01-01T00:00:00Z", stdout=everything)
    assert len(everything.getvalue().splitlines()) >= 3


@pytest.mark.django_db
def test_exportaudit_refuses_a_bad_date(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not an ISO 8601"):
        call_command("exportaudit", "--since", "yesterday")


def _recorded_literals() -> dict[str, str]:
    """Every action written as a string literal in an audit call, with where it is."""
    import ast

    found = {}
    root = Path(__file__).resolve().parent.parent
    for package in ("broker", "federation"):
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                callee = getattr(node, "func", None)
                name = getattr(callee, "attr", None) or getattr(callee, "id", None)
                if isinstance(node, ast.Call) and name in {"record", "record_request"} and node.args:
                    first = node.args[0]
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        found[first.value] = f"{path.relative_to(root)}:{node.lineno}"
    return found


def test_every_action_the_code_writes_is_a_declared_choice():
    """An undeclared action shows raw in the admin and cannot be picked in `exportaudit --action`."""
    literals = _recorded_literals()
    assert len(literals) >= 8  # the scan sees the audit calls (grants.loaded, role.revoked, ...)
    undeclared = {
        action: where for action, where in literals.items() if action not in AuditEvent.Action.values
    }
    assert not undeclared


def test_exportaudit_filters_elevation_events(db, tmp_path):
    AuditEvent.objects.create(action="elevation.approved", actor="dave", role_alias="prod-readonly")
    AuditEvent.objects.create(action="signin", actor="alice")
    out = tmp_path / "trail.jsonl"
    call_command("exportaudit", "--action", "elevation.approved", "--output", str(out), stderr=StringIO())
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["action"] for line in lines] == ["elevation.approved"]
