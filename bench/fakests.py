"""A stand-in STS for the benchmark only: answers AssumeRole and AssumeRoleWithSAML after a fixed delay.

moto is the real thing for the tests; here we need a controllable latency
(STS answering in 50 ms) and a call counter, on loopback only.
"""

from __future__ import annotations

import secrets
import threading
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWER = """<{action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<{action}Result><Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>
<SessionToken>{token}</SessionToken><Expiration>{expires}</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROABENCH:{name}</AssumedRoleId>
<Arn>arn:aws:sts::123456789012:assumed-role/Developer/{name}</Arn></AssumedRoleUser></{action}Result>
<ResponseMetadata><RequestId>{request}</RequestId></ResponseMetadata></{action}Response>"""


class FakeSts(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.delay = 0.0
        self.calls = 0
        self.by_action: dict[str, int] = {}
        self._lock = threading.Lock()

    def count(self, action: str = "") -> None:
        with self._lock:
            self.calls += 1
            self.by_action[action] = self.by_action.get(action, 0) + 1

    def start(self) -> str:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server_port}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeSts
    protocol_version = "HTTP/1.1"  # keep-alive, as AWS's endpoints do
    disable_nagle_algorithm = True  # headers and body go out as written, no 40 ms stall

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
        action = form.get("Action", "AssumeRole")
        self.server.count(action)
        time.sleep(self.server.delay)
        seconds = int(form.get("DurationSeconds", "3600"))
        body = ANSWER.format(
            action=action,
            key="ASIA" + secrets.token_hex(8).upper(),
            secret=secrets.token_urlsafe(30),
            token=secrets.token_urlsafe(200),
            expires=(datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            name=form.get("RoleSessionName", "bench"),
            request=secrets.token_hex(8),
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass
