"""OIDC test fixtures: an independent provider (node + oidc-provider), and a forger for attacks.

The happy paths run against ``oidc-provider`` (npm, OpenID Certified),
started once per session on a free port with keys made at run time
(``devtools.oidc_provider``). ``sign_in`` drives its real pages with
``requests`` the way a browser would and hands the final redirect to the
broker's callback through Django's test client.

Forged-token cases need a provider we control: ``Forger`` is a tiny test-only
issuer (discovery, JWKS, token endpoint) that signs whatever claims, header
and key a test asks for, again with keys made at run time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from django.test import Client
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from broker.oidc import provider as oidc_provider_cache
from devtools import oidc_provider

BASE = "http://127.0.0.1:8000"
CALLBACK = f"{BASE}/oidc/callback/"
CLIENT_ID = "aws-broker"
CLIENT_SECRET = "test-client-secret-" + secrets.token_hex(8)
PUBLIC_CLIENT_ID = "aws-broker-public"
USERS: dict[str, dict[str, Any]] = {
    **oidc_provider.DEMO_USERS,
    # Same name as the local break-glass account a test creates: must not take it over.
    "admin": {"email": "admin@example.com", "email_verified": True, "groups": ["admins"]},
    "dave": {"email": "dave@example.com", "email_verified": True, "groups": ["developers"]},
}


def free_port() -> int:
    from tests.conftest import free_port as port

    return port()


def start_provider(port: int, **options: Any) -> oidc_provider.Provider:
    clients = [
        oidc_provider.client(CLIENT_ID, CLIENT_SECRET, [CALLBACK]),
        oidc_provider.client(PUBLIC_CLIENT_ID, None, [CALLBACK]),
    ]
    return oidc_provider.start(port=port, clients=clients, users=USERS, **options)


@pytest.fixture(scope="session")
def oidc_provider_server() -> Iterator[oidc_provider.Provider]:
    running = start_provider(free_port())
    yield running
    running.stop()


def configure(settings: Any, issuer: str, *, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> None:
    settings.BROKER_BASE_URL = BASE
    settings.OIDC_ISSUER = issuer
    settings.OIDC_CLIENT_ID = client_id
    settings.OIDC_CLIENT_SECRET = secret
    settings.OIDC_DISPLAY_NAME = "Example ID"
    settings.OIDC_TIMEOUT_SECONDS = 2
    oidc_provider_cache.reset()


@pytest.fixture
def oidc_on(settings, oidc_provider_server, db) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """The broker signing in with the independent provider (a confidential client)."""
    configure(settings, oidc_provider_server.issuer)
    yield oidc_provider_server
    oidc_provider_cache.reset()


@dataclass
class Answer:
    """Where the provider sent the browser back: the callback's query."""

    query: dict[str, str]

    def path(self) -> str:
        return "/oidc/callback/?" + urllib.parse.urlencode(self.query)


def through_provider(authorize_url: str, username: str, browser: requests.Session | None = None) -> Answer:
    """Walk the provider's real pages (sign-in form included) until it redirects to the callback."""
    browser = browser or requests.Session()
    url = authorize_url
    for _ in range(10):
        page = browser.get(url, allow_redirects=False, timeout=10)
        if page.status_code in (302, 303):
            url = urllib.parse.urljoin(url, page.headers["Location"])
            if url.startswith(CALLBACK):
                return Answer(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)))
            continue
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', page.text)
        assert form, f"no sign-in form on the provider's page: {page.status_code} {page.text[:300]}"
        posted = browser.post(
            urllib.parse.urljoin(url, form.group(1)),
            data={"prompt": "login", "login": username, "password": "any"},
            allow_redirects=False,
            timeout=10,
        )
        assert posted.status_code in (302, 303), posted.text[:300]
        url = urllib.parse.urljoin(url, posted.headers["Location"])
    raise AssertionError("the provider never redirected back to the broker")


def start(client: Client, next_url: str | None = None) -> str:
    """``/oidc/login/`` in the broker; returns the provider's authorization URL."""
    answer = client.get("/oidc/login/", {"next": next_url} if next_url else {})
    assert answer.status_code == 302, answer.content[:300]
    return answer["Location"]


def sign_in(client: Client, username: str, next_url: str | None = None):  # type: ignore[no-untyped-def]
    """A full sign-in through the provider's pages; returns the broker's callback response."""
    return client.get(through_provider(start(client, next_url), username).path())


def signed_in_user(client: Client) -> str | None:
    from django.contrib.auth import SESSION_KEY
    from django.contrib.auth.models import User

    pk = client.session.get(SESSION_KEY)
    return User.objects.get(pk=pk).username if pk else None


# --- A provider we control, for forged tokens ------------------------------------------


@dataclass
class Forger:
    """A test-only issuer: discovery, JWKS and a token endpoint answering what the test set."""

    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "forger-1"}))
    published: list[RSAKey] = field(default_factory=list)
    token_answer: dict[str, Any] = field(default_factory=dict)
    token_status: int = 200
    delay: float = 0.0
    codes_seen: list[str] = field(default_factory=list)
    jwks_fetches: int = 0

    def jwks(self) -> dict[str, Any]:
        return KeySet(self.published or [self.key]).as_dict(private=False)

    def claims(self, nonce: str | None, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "sub": "sub-alice",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 600,
            "nonce": nonce,
            "preferred_username": "alice",
            "email": "alice@example.com",
            "email_verified": True,
            "groups": ["developers"],
        }
        body.update(changes)
        return {k: v for k, v in body.items() if v is not None}

    def sign(
        self, claims: dict[str, Any], *, alg: str = "RS256", key: Any = None, kid: str | None = ""
    ) -> str:
        key = key if key is not None else self.key
        header: dict[str, Any] = {"alg": alg}
        kid = key.kid if kid == "" and hasattr(key, "kid") else kid
        if kid:
            header["kid"] = kid
        return jwt.encode(header, claims, key, algorithms=[alg])

    def answer_with(self, id_token: str, **extra: Any) -> None:
        self.token_answer = {"access_token": "at-" + secrets.token_hex(8), "token_type": "Bearer", **extra}
        self.token_answer["id_token"] = id_token


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _part(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value).encode())


def unsigned(claims: dict[str, Any]) -> str:
    """``alg: none``: a header, the claims and an empty signature."""
    return f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part(claims)}."


def hs256_with_public_key(claims: dict[str, Any], public_pem: bytes, kid: str) -> str:
    """The classic key-confusion forgery: HMAC keyed with the provider's public key.

    Built by hand: joserfc itself refuses to use a public key as an HMAC secret.
    """
    signing_input = f"{_part({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{_part(claims)}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _handler(forger: Forger) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _json(self, body: dict[str, Any], status: int = 200) -> None:
            time.sleep(forger.delay)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/.well-known/openid-configuration":
                self._json(
                    {
                        "issuer": forger.issuer,
                        "authorization_endpoint": forger.issuer + "/authorize",
                        "token_endpoint": forger.issuer + "/token",
                        "jwks_uri": forger.issuer + "/jwks",
                        "userinfo_endpoint": forger.issuer + "/userinfo",
                    }
                )
            elif self.path == "/jwks":
                forger.jwks_fetches += 1
                self._json(forger.jwks())
            else:
                self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            code = form.get("code", "")
            if code in forger.codes_seen:
                self._json({"error": "invalid_grant", "error_description": "code already used"}, 400)
                return
            forger.codes_seen.append(code)
            self._json(forger.token_answer, forger.token_status)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def forger(settings, db) -> Iterator[Forger]:  # type: ignore[no-untyped-def]
    made = Forger()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(made))
    made.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    configure(settings, made.issuer)
    yield made
    server.shutdown()
    server.server_close()
    oidc_provider_cache.reset()


def forged_callback(client: Client, forger: Forger, **changes: Any):  # type: ignore[no-untyped-def]
    """Start a sign-in, let the forger answer with claims changed as asked, and call back."""
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start(client)).query))
    forger.answer_with(forger.sign(forger.claims(params["nonce"], **changes)))
    return client.get("/oidc/callback/", {"code": secrets.token_hex(8), "state": params["state"]})


def started_params(client: Client) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start(client)).query))
