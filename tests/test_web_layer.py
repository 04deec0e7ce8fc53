"""The web layer as an attack table: deploy checks, headers on every page, CSRF on every form,
hostile ``next`` values, session fixation and the idle timeout."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time

import pytest
from cryptography.fernet import Fernet
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from broker.idle import LAST_SEEN
from tests.conftest import PASSWORD, ROOT, signed_in, totp_code, totp_device

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "BROKER_BASE_URL": "https://aws.corp.example.com",
    "DJANGO_ALLOWED_HOSTS": "aws.corp.example.com",
}
HOSTILE_NEXT = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\t/evil.example/",
    " //evil.example/",
    "///evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://testserver@evil.example/",
]


def manage(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BROKER_", "AUTH_LDAP_"))}
    secrets_env = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "BROKER_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        # never the developer's db.sqlite3 (the demo's saml role there would change the checks' answer)
        "DATABASE_URL": f"sqlite:///{tempfile.gettempdir()}/broker-web-layer-{os.getpid()}.sqlite3",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        env={**clean, **secrets_env, "DJANGO_SETTINGS_MODULE": "broker.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- production settings ----------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_would_catch_hsts_switched_off():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, BROKER_HSTS_SECONDS="0")
    assert result.returncode != 0 and "security.W004" in result.stderr


def test_an_https_base_url_turns_on_hsts_secure_cookies_and_the_https_redirect():
    probe = (
        "import json; from django.conf import settings as s; print(json.dumps([s.SECURE_HSTS_SECONDS,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT]))"
    )
    https = manage("shell", "-c", probe, **PRODUCTION)
    http = manage("shell", "-c", probe, DJANGO_DEBUG="false")
    assert json.loads(https.stdout.splitlines()[-1]) == [31536000, True, True, True], https.stderr
    assert json.loads(http.stdout.splitlines()[-1]) == [0, False, False, False], http.stderr


# --- headers on every page -------------------------------------------------------------


def assert_hardened(response) -> None:  # type: ignore[no-untyped-def]
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_security_headers_are_on_every_kind_of_page(alice, admin_user, carol):
    anonymous = Client()
    alice_client = signed_in(alice)
    answers = {
        "login": anonymous.get("/login/"),
        "admin login": anonymous.get("/admin/login/"),
        "portal": alice_client.get("/"),
        "tokens": alice_client.get("/tokens/"),
        "mfa enrol": alice_client.get("/mfa/enrol/"),
        "admin": signed_in(admin_user).get("/admin/"),
        "not found": alice_client.get("/no-such-page/"),
        "refused role": signed_in(carol).post("/roles/prod-developer/credentials/"),
        "csrf failure": Client(enforce_csrf_checks=True).post("/login/", {"username": "alice"}),
        "api": anonymous.get("/api/v1/roles/"),
        "health": anonymous.get("/healthz"),
    }
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {
        "login": 200,
        "admin login": 302,  # to the one sign-in page, /login/
        "portal": 200,
        "tokens": 200,
        "mfa enrol": 200,
        "admin": 200,
        "not found": 404,
        "refused role": 403,
        "csrf failure": 403,
        "api": 401,
        "health": 200,
    }
    for answer in answers.values():
        assert_hardened(answer)


@pytest.mark.django_db
def test_hsts_is_sent_over_https(alice_client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = alice_client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.django_db
def test_the_admin_pages_run_no_inline_script(admin_user, grants):
    admin = signed_in(admin_user)
    for path in [
        "/admin/",
        "/admin/federation/role/",
        "/admin/federation/role/add/",
        "/admin/auth/group/add/",
    ]:
        page = admin.get(path).content.decode()
        assert page.count("<script") == len(re.findall(r"<script[^>]*\bsrc=", page)), path
        assert not re.search(r"\son[a-z]+=", page), path


# --- CSRF on every form ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login/", {"username": "alice", "password": PASSWORD}),
        ("/mfa/verify/", {"code": "123456"}),
        ("/mfa/enrol/", {"code": "123456"}),
        ("/roles/prod-developer/console/", {}),
        ("/roles/prod-developer/credentials/", {}),
        ("/tokens/", {"days": "1", "label": "laptop"}),
        ("/logout/", {}),
    ],
)
def test_every_form_refuses_a_post_without_its_csrf_token(alice, path, data):
    client = signed_in(alice, enforce_csrf_checks=True)
    response = client.post(path, data)
    assert response.status_code == 403
    assert "Form expired" in response.content.decode()


# --- redirects ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_sign_in_never_follows_a_hostile_next(alice, client, target):
    response = client.post("/login/", {"username": "alice", "password": PASSWORD, "next": target})
    assert response["Location"] == "/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_the_mfa_step_never_follows_a_hostile_next(alice, client, settings, target):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = totp_device(alice)
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    response = client.post("/mfa/verify/", {"code": totp_code(device), "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_the_admins_mfa_hand_off_never_follows_a_hostile_next(admin_user, target):
    client = signed_in(admin_user, mfa=False)
    response = client.get("/admin/login/", {"next": target})
    assert response["Location"] == "/mfa/enrol/?next=%2Fadmin%2F"


# --- sessions ----------------------------------------------------------------------------


def planted_session(client: Client) -> str:
    """An attacker's session id, set in the victim's browser before they sign in."""
    store = SessionStore()
    store["planted"] = True
    store.create()
    client.cookies["sessionid"] = store.session_key
    return store.session_key


@pytest.mark.django_db
def test_a_planted_session_id_is_not_kept_after_sign_in_or_after_the_code(alice, client):
    device = totp_device(alice)
    planted = planted_session(client)
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    after_password = client.cookies["sessionid"].value
    assert after_password != planted
    assert "_auth_user_id" not in SessionStore(session_key=planted).load()

    attacker = Client()
    attacker.cookies["sessionid"] = after_password  # even one seen between the two steps
    client.post("/mfa/verify/", {"code": totp_code(device)})
    assert client.cookies["sessionid"].value != after_password
    assert client.get("/").status_code == 200
    assert attacker.get("/").status_code == 302


@pytest.mark.django_db
def test_an_idle_session_is_signed_out(alice_client, settings):
    settings.BROKER_IDLE_TIMEOUT_SECONDS = 600
    assert alice_client.get("/").status_code == 200
    session = alice_client.session
    session[LAST_SEEN] = int(time.time()) - 601
    session.save()

    response = alice_client.get("/")

    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in alice_client.session


@pytest.mark.django_db
def test_an_active_session_stays_signed_in(alice_client, settings):
    settings.BROKER_IDLE_TIMEOUT_SECONDS = 600
    alice_client.get("/")
    session = alice_client.session
    session[LAST_SEEN] = int(time.time()) - 300
    session.save()
    assert alice_client.get("/").status_code == 200
    assert alice_client.session[LAST_SEEN] >= int(time.time()) - 1
