"""No audit row, no credential: a trail that cannot be written answers 503 and hands out nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import DatabaseError, connection
from django.test import Client

from broker import audit
from broker.models import AuditEvent
from federation.models import Issuance
from tests.conftest import PASSWORD

CREDENTIALS = "/api/v1/roles/prod-developer/credentials"


@pytest.fixture
def audit_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every audit insert fails as a database that refuses writes would."""

    def refuse(*args: object) -> None:
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(audit, "_insert", refuse)


@pytest.fixture
def audit_table_refuses_inserts(db) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """A real database refusal: a trigger that aborts every insert into the audit table."""
    table = AuditEvent._meta.db_table
    statements = {
        "sqlite": [
            f"CREATE TRIGGER audit_down BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'audit down'); END"
        ],
        "postgresql": [
            "CREATE FUNCTION audit_down() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit down'; END $$"
            " LANGUAGE plpgsql",
            f"CREATE TRIGGER audit_down BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION audit_down()",
        ],
    }[connection.vendor]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP TRIGGER audit_down{' ON ' + table if connection.vendor == 'postgresql' else ''}"
        )
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION audit_down()")


def assert_withheld(response, *secrets: str) -> None:  # type: ignore[no-untyped-def]
    body = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "udit trail" in body
    for secret in secrets:
        assert secret not in body


@pytest.mark.django_db
def test_portal_credentials_are_withheld_when_the_audit_fails(aws, alice_client, audit_down):
    response = alice_client.post("/roles/prod-developer/credentials/")

    assert_withheld(response, "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "ASIA")
    assert Issuance.objects.count() == 0  # the ledger row went with the audit row


@pytest.mark.django_db
def test_a_console_url_is_withheld_when_the_audit_fails(aws, alice_client, audit_down):
    response = alice_client.post("/roles/prod-developer/console/")

    assert_withheld(response, "SigninToken")
    assert "Location" not in response


@pytest.mark.django_db
def test_a_real_database_refusal_withholds_portal_credentials(aws, alice_client, audit_table_refuses_inserts):
    response = alice_client.post("/roles/prod-developer/credentials/")

    assert_withheld(response, "AWS_SECRET_ACCESS_KEY", "ASIA")
    assert Issuance.objects.count() == 0


@pytest.mark.django_db
def test_an_api_cache_hit_is_withheld_when_the_audit_fails(api, monkeypatch):
    first = api.get(CREDENTIALS).json()

    def refuse(*args: object) -> None:
        raise DatabaseError("connection lost")

    monkeypatch.setattr(audit, "_insert", refuse)
    response = api.get(CREDENTIALS)

    assert_withheld(response, first["AccessKeyId"], first["SecretAccessKey"], first["Token"])
    assert response.json()["error"] == "audit_unavailable"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/sessions/", {"role": "prod-developer"}),
        ("/api/v1/console-url/", {"role": "prod-developer"}),
    ],
)
def test_api_sessions_and_console_urls_are_withheld_when_the_audit_fails(api, audit_down, path, body):
    response = api.post(path, body, content_type="application/json")

    assert_withheld(response, "AccessKeyId", "SecretAccessKey", "SigninToken")
    assert response.json() == {"error": "audit_unavailable", "detail": response.json()["detail"]}


@pytest.mark.django_db
def test_a_sign_in_that_cannot_be_audited_does_not_stand(alice, audit_down):
    browser = Client()
    response = browser.post("/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 503 and "Audit trail unavailable" in response.content.decode()
    assert browser.get("/").status_code == 302  # still signed out
