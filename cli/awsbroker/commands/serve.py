"""``awsbroker serve ROLE``: a container-credentials endpoint on loopback for long-running processes.

Prints ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and a random
``AWS_CONTAINER_AUTHORIZATION_TOKEN`` (this server's own, not the
broker's); any AWS SDK with those two variables fetches sessions here and
refreshes them itself, while this process keeps the sign-in fresh. Only
``127.0.0.1`` listens; a request without the token gets a 401. Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import secrets
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from awsbroker import creds, settings
from awsbroker.errors import CliError


def add_parser(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "serve",
        help="serve a role's sessions to SDKs on 127.0.0.1",
        description="Serve ROLE's sessions at a loopback container-credentials endpoint until Ctrl-C.",
    )
    command.add_argument("role", metavar="ROLE", help="the role's alias (awsbroker roles)")
    command.set_defaults(run=run)


class Endpoint(ThreadingHTTPServer):
    daemon_threads = True
    url: str
    role: str
    token: str
    path: str


class Handler(BaseHTTPRequestHandler):
    server: Endpoint

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path != self.server.path:
            return self._answer(404, {"message": "not found"})
        if not hmac.compare_digest(self.headers.get("Authorization", ""), self.server.token):
            return self._answer(401, {"message": "wrong or missing authorization token"})
        try:
            session = creds.session(self.server.url, self.server.role)
        except CliError as exc:
            print(f"awsbroker: {exc}", file=sys.stderr)
            return self._answer(503, {"message": str(exc)})
        body = {
            "AccessKeyId": session["AccessKeyId"],
            "SecretAccessKey": session["SecretAccessKey"],
            "Token": session["SessionToken"],
            "Expiration": session["Expiration"],
        }
        return self._answer(200, body)

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        print(
            f"awsbroker serve: {self.command} {self.path} {args[1] if len(args) > 1 else ''}", file=sys.stderr
        )


def run(args: argparse.Namespace) -> int:
    url = settings.broker_url()
    creds.session(url, args.role)  # fail now, not at the SDK's first call, if the role or sign-in is wrong
    server = Endpoint(("127.0.0.1", 0), Handler)
    server.url, server.role = url, args.role
    server.token = secrets.token_urlsafe(32)
    server.path = f"/role/{args.role}"
    uri = f"http://127.0.0.1:{server.server_port}{server.path}"
    template = "$Env:{0} = '{1}'" if os.name == "nt" else "export {0}={1}"
    print(template.format("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri))
    print(template.format("AWS_CONTAINER_AUTHORIZATION_TOKEN", server.token))
    sys.stdout.flush()
    print(f"Serving {args.role} on {uri} (Ctrl-C stops).", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
