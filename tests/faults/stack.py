"""The broker as deployed, for faults that only a real process shows: gunicorn (the project's
``gunicorn.conf.py``, debug off), a throwaway database on the engine the suite runs on
(PostgreSQL when ``DATABASE_URL`` names it, else a SQLite file; ``bench/database.py``),
the shared test Redis under a key prefix of its own, and a moto server of its own that a
test can stop (it serves the same AWS state as the suite's: moto keeps it per process).
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cryptography.fernet import Fernet
from moto.server import ThreadedMotoServer

from bench.database import Database
from tests.conftest import DEMO_GRANTS, ROOT, free_port

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: dict | None  # type: ignore[type-arg]


def _server_url(database_url: str) -> tuple[str, str]:
    """(the PostgreSQL server to make a throwaway database on, its name prefix), or ("sqlite", ...)."""
    if not database_url.startswith("postgres"):
        return "sqlite", "broker_faults"
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/") or "broker"
    return urlunsplit(parts._replace(path="/postgres")), f"{name}_faults"


class Deployed:
    """One broker stack; ``start_web``/``stop_web`` restart gunicorn as a deploy or a crash would."""

    def __init__(self, redis_url: str) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="broker-faults-"))
        server, prefix = _server_url(os.environ.get("DATABASE_URL", ""))
        self.database = Database(self.tmp, server, prefix=prefix)
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
        self.moto_up = False
        self.prefix = f"test:faults:{secrets.token_hex(4)}:"
        self.web: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "BROKER_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": self.database.url,
            "REDIS_URL": redis_url,
            "BROKER_CACHE_PREFIX": self.prefix,
            "BROKER_ROLE_CHAINING": "auto",
            "BROKER_STS_MAX_ATTEMPTS": "2",
            "BROKER_STS_CONNECT_TIMEOUT": "1",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "2",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }

    # --- set-up --------------------------------------------------------------------------
    def manage(self, *args: str) -> str:
        argv = [sys.executable, "-m", "django", *args]
        done = subprocess.run(argv, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    def start(self) -> None:
        self.start_sts()
        self.database.create()
        self.manage("migrate", "--no-input", "-v0")
        self.manage("loadgrants", str(DEMO_GRANTS))
        # Sessions of 2 h: longer than the 1 h a broker that does not know about chaining falls back to.
        argv = ["createapiclient", "billing", "--role", "prod-developer", "--role", "prod-s3-reader"]
        out = self.manage(*argv, "--max-session-seconds", "7200")
        self.token = out.strip().splitlines()[-1]

    def start_sts(self) -> None:
        self.moto.start()
        self.moto_up = True
        host, port = self.moto.get_host_and_port()
        self.env["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"

    def stop_sts(self) -> None:
        """STS unreachable: nothing listens on its port any more."""
        if self.moto_up:
            self.moto.stop()
            self.moto_up = False

    def start_web(self) -> None:
        self.port = free_port()
        log = open(self.tmp / "gunicorn.log", "ab")  # noqa: SIM115 - lives as long as the child
        argv = [
            str(BIN / "gunicorn"),
            "broker.wsgi",
            "-c",
            "gunicorn.conf.py",
            "-b",
            f"127.0.0.1:{self.port}",
        ]
        self.web = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if len(self.workers()) == 2 and self.get("/healthz").status == 200:
                return
            time.sleep(0.2)
        raise AssertionError("gunicorn did not come up: " + self.log()[-2000:])

    def stop_web(self) -> None:
        if self.web is not None:
            self.web.send_signal(signal.SIGTERM)
            try:
                self.web.wait(30)
            except subprocess.TimeoutExpired:
                self.web.kill()
                self.web.wait(10)
            self.web = None

    def stop(self) -> None:
        self.stop_web()
        self.stop_sts()
        self.database.drop()

    # --- looking at it -------------------------------------------------------------------
    def workers(self) -> list[int]:
        """The gunicorn master's live worker processes."""
        if self.web is None:
            return []
        listing = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.web.pid)], capture_output=True, text=True
        )
        return [int(pid) for pid in listing.stdout.split()]

    def log(self) -> str:
        return (self.tmp / "gunicorn.log").read_text(errors="replace")

    def get(self, path: str, *, token: str | None = None, timeout: float = 30) -> Answer:
        return self.request(path, token=token, timeout=timeout)

    def post(self, path: str, body: dict, *, token: str) -> Answer:  # type: ignore[type-arg]
        return self.request(path, token=token, data=json.dumps(body).encode())

    def request(
        self, path: str, *, token: str | None, data: bytes | None = None, timeout: float = 30
    ) -> Answer:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
                return Answer(response.status, dict(response.headers), _json(response.read()))
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), _json(error.read()))
        except (OSError, http.client.HTTPException):  # refused, reset, cut short: no answer at all
            return Answer(0, {}, None)

    def count(self, sql: str) -> int:
        """One number from the stack's own database (its audit trail, its ledger)."""
        if self.database.server is None:
            with sqlite3.connect(self.tmp / "bench.sqlite3") as connection:
                return connection.execute(sql).fetchone()[0]
        import psycopg

        with psycopg.connect(self.database.url) as connection:
            return connection.execute(sql).fetchone()[0]


def _json(raw: bytes) -> dict | None:  # type: ignore[type-arg]
    try:
        return json.loads(raw)
    except ValueError:
        return None
