"""A CLI sign-in's life: refresh rotation, reuse detection, expiry, logout, the kill switch, the tokens page.

Each ending is checked where it matters: the broker's API refuses the
tokens at once, and the CLI says in one line to run ``awsbroker login``.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from broker.cliauth.models import CliSession
from broker.models import AuditEvent
from broker.redaction import RedactSecretsFilter
from federation import revocation
from tests.cli_support import browser, form_fields, login_with_browser
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
LOGIN_AGAIN = "run `awsbroker login`"


@pytest.fixture
def signed_in(broker_url, alice, cli):  # type: ignore[no-untyped-def]
    code, _, err = login_with_browser(cli, broker_url, "alice", PASSWORD)
    assert code == 0, err
    return cli


def api_roles(base: str, access_token: str) -> int:
    return requests.get(
        f"{base}/api/v1/roles/", headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )


def refresh(base: str, refresh_token: str) -> requests.Response:
    form = {"client_id": "awsbroker-cli", "grant_type": "refresh_token", "refresh_token": refresh_token}
    return requests.post(f"{base}/oauth/token/", data=form, timeout=10)


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_access_tokens_are_short_and_act_as_the_person(broker_url, signed_in, settings):
    tokens = signed_in.tokens(broker_url)
    stored = AccessToken.objects.get()

    assert (stored.expires - timezone.now()).total_seconds() <= settings.BROKER_CLI_ACCESS_TOKEN_SECONDS
    assert stored.token == ""  # only the checksum is stored
    answer = api_roles(broker_url, tokens["access_token"])
    assert answer.status_code == 200
    assert {role["alias"] for role in answer.json()} >= {"prod-developer", "sandbox-admin"}


def test_a_refresh_rotates_and_a_replayed_refresh_token_ends_the_sign_in(broker_url, signed_in):
    first = signed_in.tokens(broker_url)

    rotated = refresh(broker_url, first["refresh_token"])
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert api_roles(broker_url, second["access_token"]).status_code == 200

    replay = refresh(broker_url, first["refresh_token"])

    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert refresh(broker_url, second["refresh_token"]).status_code == 400  # the whole family
    assert api_roles(broker_url, second["access_token"]).status_code == 401
    session = CliSession.objects.get()
    assert session.revoked_at is not None and session.revoked_reason == "refresh token reused"
    assert AuditEvent.objects.filter(action="cli.ended", detail__reason="refresh token reused").count() == 1
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()


def test_the_cli_refreshes_by_itself_when_the_access_token_expires(broker_url, signed_in):
    before = signed_in.tokens(broker_url)
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))

    answer = signed_in.run("roles")

    assert answer.returncode == 0, answer.stderr
    after = signed_in.tokens(broker_url)
    assert after["refresh_token"] != before["refresh_token"]
    assert CliSession.objects.get().revoked_at is None


def test_parallel_credential_processes_never_replay_a_refresh_token(broker_url, signed_in):
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    children = [signed_in.start("credentials", "prod-developer") for _ in range(4)]

    codes = [child.wait(60) for child in children]

    assert codes == [0, 0, 0, 0], [child.stderr.read() for child in children]
    assert CliSession.objects.get().revoked_at is None


def test_a_sign_in_ends_after_the_work_day_with_one_line(broker_url, signed_in):
    CliSession.objects.update(ends_at=timezone.now() - timedelta(seconds=1))

    answer = signed_in.run("credentials", "prod-developer")

    assert answer.returncode == 3 and answer.stdout == ""
    assert LOGIN_AGAIN in one_line(answer.stderr)


def test_the_session_lifetime_is_the_setting(broker_url, alice, cli, settings):
    settings.BROKER_CLI_SESSION_SECONDS = 3600
    code, _, err = login_with_browser(cli, broker_url, "alice", PASSWORD)

    assert code == 0, err
    left = (CliSession.objects.get().ends_at - timezone.now()).total_seconds()
    assert 3500 < left <= 3600


def test_logout_revokes_on_the_broker(broker_url, signed_in):
    tokens = signed_in.tokens(broker_url)

    answer = signed_in.run("logout")

    assert answer.returncode == 0, answer.stderr
    assert api_roles(broker_url, tokens["access_token"]).status_code == 401
    assert refresh(broker_url, tokens["refresh_token"]).status_code == 400
    assert CliSession.objects.get().revoked_reason == "signed out"
    assert signed_in.tokens(broker_url) == {}
    again = signed_in.run("roles")
    assert again.returncode == 3 and LOGIN_AGAIN in one_line(again.stderr)


def test_the_kill_switch_ends_cli_sessions_at_once(broker_url, signed_in, alice, admin_user):
    tokens = signed_in.tokens(broker_url)
    assert signed_in.run("credentials", "prod-developer").returncode == 0

    steps = revocation.kill_switch(user=alice, actor="admin")

    assert any(step.what == "cli" and "1 CLI session" in step.detail for step in steps)
    assert api_roles(broker_url, tokens["access_token"]).status_code == 401
    assert refresh(broker_url, tokens["refresh_token"]).status_code == 400
    for cached in (signed_in.home / "awsbroker" / "cache").rglob("*.json"):
        cached.unlink()  # a session already issued works until it expires; the sign-in does not
    answer = signed_in.run("credentials", "prod-developer")
    assert answer.returncode == 3 and LOGIN_AGAIN in one_line(answer.stderr)


def test_the_tokens_page_lists_and_ends_cli_sessions(broker_url, signed_in):
    tokens = signed_in.tokens(broker_url)
    person = browser(broker_url, "alice", PASSWORD)
    session = CliSession.objects.get()

    page = person.get(f"{broker_url}/tokens/", timeout=10)
    assert "<title>API tokens · Identity broker</title>" in page.text
    assert session.label in page.text and "Browser" in page.text
    fields = form_fields(page.text)
    ended = person.post(
        f"{broker_url}/tokens/",
        data={"csrfmiddlewaretoken": fields["csrfmiddlewaretoken"], "end_cli": session.pk},
        timeout=10,
    )

    assert ended.status_code == 200 and "No terminal is signed in" in ended.text
    assert api_roles(broker_url, tokens["access_token"]).status_code == 401


def test_nobody_ends_someone_elses_cli_session(broker_url, signed_in, bob):
    person = browser(broker_url, "bob", PASSWORD)
    page = person.get(f"{broker_url}/tokens/", timeout=10)

    answer = person.post(
        f"{broker_url}/tokens/",
        data={
            "csrfmiddlewaretoken": form_fields(page.text)["csrfmiddlewaretoken"],
            "end_cli": CliSession.objects.get().pk,
        },
        timeout=10,
    )

    assert answer.status_code == 404 and CliSession.objects.get().revoked_at is None


def test_no_token_code_or_secret_reaches_a_log(broker_url, alice, cli, caplog):
    caplog.handler.addFilter(RedactSecretsFilter())
    with caplog.at_level(logging.DEBUG):
        code, _, err = login_with_browser(cli, broker_url, "alice", PASSWORD)
        answer = cli.run("credentials", "prod-developer")
        tokens = cli.tokens(broker_url)
        rotated = refresh(broker_url, tokens["refresh_token"]).json()
        refresh(broker_url, tokens["refresh_token"])  # a replay is logged as a refusal, without the token

    assert code == 0 and answer.returncode == 0
    process = json.loads(answer.stdout)
    secrets = [
        tokens["access_token"],
        tokens["refresh_token"],
        rotated["access_token"],
        rotated["refresh_token"],
        process["SecretAccessKey"],
        process["SessionToken"],
    ]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets:
        assert secret not in logged
        assert secret not in err and secret not in answer.stderr
    assert (
        any(record.name.startswith("django.server") or "oauth" in record.name for record in caplog.records)
        or logged
    )
