"""Settings come from the environment through strict parsers, and fail fast."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from broker.env import SettingError, envbool, envint, envlist, envsecret
from tests.conftest import ROOT


def test_booleans_are_strict(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert envbool("FLAG") is True
    monkeypatch.setenv("FLAG", "off")
    assert envbool("FLAG", True) is False
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(SettingError, match="FLAG must be true or false"):
        envbool("FLAG")


def test_numbers_are_strict(monkeypatch):
    monkeypatch.setenv("N", "12")
    assert envint("N", 1) == 12
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(SettingError, match="N must be a whole number"):
        envint("N", 1)
    monkeypatch.setenv("N", "0")
    with pytest.raises(SettingError, match="at least 1"):
        envint("N", 5, minimum=1)


def test_lists_drop_blanks(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example, ,b.example ")
    assert envlist("HOSTS") == ["a.example", "b.example"]


def test_secrets_may_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("TOKEN", "from-env")
    monkeypatch.setenv("TOKEN_FILE", str(secret))
    assert envsecret("TOKEN") == "from-a-file"
    monkeypatch.setenv("TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(SettingError, match="TOKEN_FILE points to an unreadable file"):
        envsecret("TOKEN")


def start(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BROKER_"))}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "broker.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"BROKER_ENCRYPTION_KEYS": "k"}, "DJANGO_SECRET_KEY is required"),
        ({"DJANGO_SECRET_KEY": "s"}, "BROKER_ENCRYPTION_KEYS is required"),
        (
            {"DJANGO_SECRET_KEY": "s", "BROKER_ENCRYPTION_KEYS": "k", "DJANGO_DEBUG": "perhaps"},
            "DJANGO_DEBUG must be",
        ),
    ],
)
def test_production_start_without_a_secret_names_it(env, missing):
    result = start(**env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_start_with_its_secrets_succeeds():
    assert start(DJANGO_SECRET_KEY="s" * 50, BROKER_ENCRYPTION_KEYS="k").returncode == 0


def test_debug_start_needs_no_secrets():
    assert start(DJANGO_DEBUG="true").returncode == 0


def database_options(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BROKER_", "DATABASE_"))}
    show = "from django.conf import settings as s; print(s.DATABASES['default'].get('OPTIONS'))"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {show}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "broker.settings", "DJANGO_DEBUG": "true", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_postgresql_prepares_repeated_statements_unless_told_not_to():
    postgres = "postgres://broker@db.example/broker"
    assert "'server_side_binding': True" in database_options(DATABASE_URL=postgres)
    off = database_options(DATABASE_URL=postgres, DATABASE_PREPARED_STATEMENTS="false")
    assert "server_side_binding" not in off
    assert "server_side_binding" not in database_options()  # SQLite


@pytest.mark.django_db
def test_the_hot_reads_are_prepared_on_postgresql(billing_token):
    from django.db import connection

    from broker.apitokens import tokens

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    lookup = billing_token.split("_")[1]
    for _ in range(3):
        tokens._BY_LOOKUP(lookup)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("apitoken" in statement and "lookup" in statement for statement in prepared)
