"""A local stand-in for the AWS federation sign-in endpoint, for development.

It follows AWS's parameter rules for the two steps of console federation:
``Action=getSigninToken`` checks the ``Session`` JSON by calling
``GetCallerIdentity`` with those credentials (against ``AWS_ENDPOINT_URL``,
i.e. moto), refuses ``SessionDuration`` where AWS would, and returns a
token valid for 15 minutes; ``Action=login`` spends the token once and
answers with a page naming the identity. ``POST /saml`` is AWS's SAML
sign-in: it verifies the assertion as AWS would (``devtools.saml_verifier``),
then calls AssumeRoleWithSAML on moto and answers the same kind of page. The
broker uses it only when ``BROKER_SIGNIN_URL`` / ``BROKER_SAML_SIGNIN_URL``
point here. Never expose it: it is not AWS.

Run alone: ``python -m devtools.signin_emulator --port 5001``.
"""

from __future__ import annotations

import argparse
import html
import json
import secrets
import socketserver
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from devtools.saml_verifier import Refused, SamlVerifier, moto_provider_metadata

TOKEN_LIFETIME_SECONDS = 15 * 60
StartResponse = Callable[..., Any]


@dataclass
class _Grant:
    arn: str
    expires: float
    session_duration: int | None


class SigninEmulator:
    def __init__(self) -> None:
        self._tokens: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self.saml = SamlVerifier(moto_provider_metadata)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        params = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            params.update(
                urllib.parse.parse_qsl(environ["wsgi.input"].read(length).decode(), keep_blank_values=True)
            )
        if environ.get("PATH_INFO") == "/saml" and environ.get("REQUEST_METHOD") == "POST":
            endpoint = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}/saml"
            return self._saml(params, endpoint, start_response)
        if environ.get("PATH_INFO") != "/federation":
            return self._answer(start_response, 404, "text/plain", "not found")
        action = params.get("Action")
        if action == "getSigninToken":
            return self._get_signin_token(params, start_response)
        if action == "login":
            return self._login(params, start_response)
        return self._answer(start_response, 400, "text/plain", "unknown Action")

    def _answer(self, start_response: StartResponse, status: int, kind: str, body: str) -> list[bytes]:
        reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}[status]
        start_response(f"{status} {reason}", [("Content-Type", kind), ("Cache-Control", "no-store")])
        return [body.encode()]

    def _get_signin_token(self, params: dict[str, str], start_response: StartResponse) -> list[bytes]:
        try:
            session = json.loads(params.get("Session", ""))
        except json.JSONDecodeError:
            return self._answer(start_response, 400, "text/plain", "Session is not JSON")
        keys = {"sessionId", "sessionKey", "sessionToken"}
        if (
            not isinstance(session, dict)
            or set(session) != keys
            or not all(isinstance(session[k], str) for k in keys)
        ):
            return self._answer(
                start_response, 400, "text/plain", "Session needs sessionId, sessionKey, sessionToken"
            )
        duration = params.get("SessionDuration")
        if duration is not None and (not duration.isdigit() or not 900 <= int(duration) <= 43200):
            return self._answer(start_response, 400, "text/plain", "SessionDuration must be 900..43200")
        arn = self._identity(session)
        if arn is None:
            return self._answer(start_response, 400, "text/plain", "the session credentials are not valid")
        if duration is not None and ":assumed-role/" not in arn:
            return self._answer(
                start_response, 400, "text/plain", "SessionDuration is allowed only for AssumeRole sessions"
            )
        token = secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[token] = _Grant(
                arn, time.time() + TOKEN_LIFETIME_SECONDS, int(duration) if duration else None
            )
        return self._answer(start_response, 200, "application/json", json.dumps({"SigninToken": token}))

    def _identity(self, session: dict[str, str]) -> str | None:
        client = boto3.client(
            "sts",
            region_name="us-east-1",
            aws_access_key_id=session["sessionId"],
            aws_secret_access_key=session["sessionKey"],
            aws_session_token=session["sessionToken"],
        )
        try:
            return client.get_caller_identity()["Arn"]
        except (BotoCoreError, ClientError):
            return None

    def _login(self, params: dict[str, str], start_response: StartResponse) -> list[bytes]:
        missing = [name for name in ("Issuer", "Destination", "SigninToken") if not params.get(name)]
        if missing:
            return self._answer(start_response, 400, "text/plain", f"missing {', '.join(missing)}")
        with self._lock:
            grant = self._tokens.pop(params["SigninToken"], None)
        if grant is None or grant.expires < time.time():
            return self._answer(
                start_response, 400, "text/plain", "the sign-in token is unknown, used or expired"
            )
        page = _console_page(grant.arn, params["Destination"], params["Issuer"], grant.session_duration)
        return self._answer(start_response, 200, "text/html; charset=utf-8", page)

    def _saml(self, params: dict[str, str], endpoint: str, start_response: StartResponse) -> list[bytes]:
        """AWS's SAML sign-in: verify, then AssumeRoleWithSAML (moto), then the console."""
        encoded = params.get("SAMLResponse", "")
        try:
            verified = self.saml.verify(encoded, endpoint=endpoint)
        except Refused as exc:
            return self._answer(
                start_response, 403, "text/plain", f"Your request included an invalid SAML response: {exc}"
            )
        sts = boto3.client("sts", region_name="us-east-1", config=Config(signature_version=UNSIGNED))
        try:
            answer = sts.assume_role_with_saml(
                RoleArn=verified.role_arn, PrincipalArn=verified.provider_arn, SAMLAssertion=encoded
            )
        except (BotoCoreError, ClientError) as exc:
            return self._answer(start_response, 403, "text/plain", f"AssumeRoleWithSAML failed: {exc}")
        duration = verified.attributes.get("https://aws.amazon.com/SAML/Attributes/SessionDuration", [None])[
            0
        ]
        issuer = "SAML: " + verified.provider_arn
        page = _console_page(answer["AssumedRoleUser"]["Arn"], params.get("RelayState", ""), issuer, duration)
        return self._answer(start_response, 200, "text/html; charset=utf-8", page)


def _console_page(arn: str, destination: str, issuer: str, duration: object) -> str:
    return (
        "<!doctype html><title>AWS console (local stand-in)</title>"
        "<h1>Signed in to the AWS console</h1>"
        f'<p>Identity: <code id="identity">{html.escape(arn)}</code></p>'
        f'<p>Destination: <code id="destination">{html.escape(destination)}</code></p>'
        f'<p>Issuer: <code id="issuer">{html.escape(issuer)}</code></p>'
        f'<p>Console session: <code id="duration">{html.escape(str(duration or "default"))}</code></p>'
        "<p><em>This is the broker's development stand-in, not AWS.</em></p>"
    )


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Request lines carry credentials in their query strings: never print them."""


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve(host: str, port: int) -> WSGIServer:
    return make_server(
        host, port, SigninEmulator(), server_class=_ThreadingServer, handler_class=_QuietHandler
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    args = parser.parse_args()
    server = serve(args.host, args.port)
    print(f"sign-in stand-in on http://{args.host}:{args.port}/federation and /saml", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
