"""Sign in through the browser: authorization code + PKCE (S256) on a loopback redirect (RFC 8252).

A one-shot HTTP server listens on ``127.0.0.1`` on a port the OS picks; the
browser comes back to it with the code, which is only worth anything with
the verifier this process holds. The ``state`` must match. Waiting is
bounded (``AWSBROKER_LOGIN_TIMEOUT`` seconds, default 300).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import sys
import time
import webbrowser
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from awsbroker import oauth
from awsbroker.errors import CliError

DONE_PAGE = (
    b"<!doctype html><meta charset='utf-8'><title>awsbroker</title>"
    b"<p>Signed in. You can close this tab and go back to the terminal.</p>"
)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class _Callback(HTTPServer):
    result: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    server: _Callback

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        parts = urlsplit(self.path)
        if parts.path != "/callback":
            self.send_error(404)
            return
        self.server.result = {key: values[0] for key, values in parse_qs(parts.query).items()}
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(DONE_PAGE)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the code in the URL stays quiet)
        return


def login(url: str, metadata: dict[str, Any]) -> dict[str, Any]:
    server = _Callback(("127.0.0.1", 0), _Handler)
    server.result = {}
    redirect_uri = f"http://127.0.0.1:{server.server_port}/callback"
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    query = {
        "response_type": "code",
        "client_id": oauth.CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": oauth.SCOPE,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    address = f"{metadata['authorization_endpoint']}?{urlencode(query)}"
    print(f"Opening the browser to sign in. If it does not open, visit:\n\n  {address}\n", file=sys.stderr)
    sys.stderr.flush()
    with contextlib.suppress(Exception):  # the URL is printed above
        webbrowser.open(address)
    result = _wait(server)
    if not hmac.compare_digest(result.get("state", ""), state):
        raise CliError("the browser came back with the wrong state; run `awsbroker login` again")
    if "code" not in result:
        raise CliError(f"the sign-in was not allowed ({result.get('error', 'no code')})")
    answer = oauth.exchange(
        metadata,
        {
            "grant_type": "authorization_code",
            "code": result["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
    )
    if answer.status != 200:
        raise CliError(f"the broker refused the sign-in ({answer.status} {answer.detail})")
    return oauth.remember_tokens(url, metadata, answer.body)


def _wait(server: _Callback) -> dict[str, str]:
    limit = float(os.environ.get("AWSBROKER_LOGIN_TIMEOUT", "300"))
    deadline = time.monotonic() + limit
    server.timeout = 1.0
    try:
        while not server.result:
            if time.monotonic() > deadline:
                raise CliError(
                    f"no answer from the browser within {int(limit)} s; run `awsbroker login` again"
                )
            server.handle_request()
    finally:
        server.server_close()
    return server.result
