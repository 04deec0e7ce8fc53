"""The bench's database: a throwaway PostgreSQL database (production's engine) or a SQLite file.

``BENCH_DATABASE_URL`` names a PostgreSQL server (default
``postgres://postgres@127.0.0.1:5432/postgres``): the bench creates a
database ``broker_bench_<hex>`` there and drops it when done.
``BENCH_DATABASE_URL=sqlite`` uses a SQLite file in the bench's temporary
directory instead (WAL and IMMEDIATE transactions, ``bench/settings.py``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


class Database:
    def __init__(self, tmp: Path, server: str | None = None, *, prefix: str = "broker_bench") -> None:
        """``server``: a PostgreSQL URL or ``sqlite``; default ``BENCH_DATABASE_URL`` (the fault tests
        pass their own, and a ``prefix`` for the database's name)."""
        server = server or os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER)
        self.server = None if server == "sqlite" else server
        self.name = f"{prefix}_{secrets.token_hex(4)}"
        self.url = f"sqlite:///{tmp / 'bench.sqlite3'}" if self.server is None else self._url_for(self.name)

    @property
    def label(self) -> str:
        return "SQLite (WAL)" if self.server is None else "PostgreSQL"

    def _url_for(self, name: str) -> str:
        parts = urlsplit(self.server or "")
        return urlunsplit(parts._replace(path=f"/{name}"))

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.server, autocommit=True) as connection:
            connection.execute(sql)

    def create(self) -> None:
        if self.server is not None:
            self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.server is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
