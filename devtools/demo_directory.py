"""A real, throw-away slapd seeded with the demo company directory.

``make run`` signs people in against it and the LDAP tests use it too, so
the demo and the tests exercise the same directory. It builds on
python-ldap's ``slapdtest.SlapdObject`` (config database, start-up wait,
``ldapadd`` over ldapi as root) with our own configuration: an ACL that
keeps password hashes unreadable, optional TLS files, and the demo entries
from ``devtools/directory/demo.ldif``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path
from string import Template

import slapdtest

DATA = Path(__file__).resolve().parent / "directory"
SUFFIX = "dc=example,dc=com"
SERVICE_DN = f"cn=broker,ou=services,{SUFFIX}"
_PASSWORD_LINE = re.compile(r"^userPassword: (.+)$", re.MULTILINE)


def ssha(password: str) -> str:
    """slapd's default ``{SSHA}`` scheme, so no clear password sits in the database."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt, usedforsecurity=False).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def prepare(ldif: str, **values: str) -> str:
    """Fill ``${name}`` placeholders and hash every ``userPassword``."""
    filled = Template(ldif).substitute(values)
    return _PASSWORD_LINE.sub(lambda match: f"userPassword: {ssha(match.group(1))}", filled)


class DemoDirectory(slapdtest.SlapdObject):
    """slapd on 127.0.0.1 with the demo suffix; ``start()``, ``seed()``, ``stop()``."""

    suffix = SUFFIX
    root_cn = "admin"
    slapd_loglevel = "0"
    openldap_schema_files = ("core.ldif", "cosine.ldif", "inetorgperson.ldif", "nis.ldif")
    allows = "bind_v2"

    def __init__(
        self,
        *,
        service_password: str,
        port: int | None = None,
        tls: tuple[str, str, str] | None = None,
    ) -> None:
        self._fixed_port = port
        self.tls = tls  # (CA, certificate, key) PEM paths, or None
        self.service_password = service_password
        # A short private directory: the ldapi socket path must fit in 108 bytes.
        self.TMPDIR = tempfile.mkdtemp(prefix="slapd-")
        self.root_pw = secrets.token_urlsafe(24)
        super().__init__()

    def _avail_tcp_port(self) -> int:
        return self._fixed_port or super()._avail_tcp_port()

    def gen_config(self) -> str:
        tls = ""
        if self.tls:
            ca, cert, key = self.tls
            tls = (
                f"olcTLSCACertificateFile: {ca}\n"
                f"olcTLSCertificateFile: {cert}\n"
                f"olcTLSCertificateKeyFile: {key}\n"
            )
        return Template((DATA / "slapd-config.ldif").read_text()).substitute(
            serverid=hex(self.server_id),
            loglevel=self.slapd_loglevel,
            allows=self.allows,
            root_uid=os.getuid(),
            root_gid=os.getgid(),
            rootdn=self.root_dn,
            rootpw=self.root_pw,
            tls=tls,
            suffix=self.suffix,
            directory=self._db_directory,
        )

    def seed(self) -> None:
        """Add the demo company: people, nested groups and the broker's search account."""
        self.ldapadd(prepare((DATA / "demo.ldif").read_text(), service_password=self.service_password))

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.TMPDIR, ignore_errors=True)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def broker_env(self, **overrides: str) -> dict[str, str]:
        """The ``AUTH_LDAP_*`` variables that point the broker at this directory."""
        return {
            "AUTH_LDAP_SERVER_URI": self.ldap_uri.rstrip("/"),
            "AUTH_LDAP_BIND_DN": SERVICE_DN,
            "AUTH_LDAP_BIND_PASSWORD": self.service_password,
            "AUTH_LDAP_USER_SEARCH_BASE": f"ou=people,{SUFFIX}",
            "AUTH_LDAP_USER_FILTER": "(uid=%(user)s)",
            "AUTH_LDAP_GROUP_SEARCH_BASE": f"ou=groups,{SUFFIX}",
            "AUTH_LDAP_GROUP_TYPE": "nestedGroupOfNames",
            **overrides,
        }


def main() -> None:
    """Run the demo directory alone: ``python -m devtools.demo_directory --port 3389``."""
    import argparse
    import signal
    import time

    parser = argparse.ArgumentParser(description="The demo company directory (slapd) on loopback.")
    parser.add_argument("--port", type=int, default=3389)
    args = parser.parse_args()
    password = secrets.token_urlsafe(24)
    directory = DemoDirectory(service_password=password, port=args.port)
    directory.start()
    try:
        directory.seed()
        for name, value in directory.broker_env().items():
            print(
                f"export {name}={value!r}"
                if "PASSWORD" not in name
                else f"export {name}=<printed once below>"
            )
        print(f"service account password (this run only): {password}", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not interrupt the stop
        directory.stop()


if __name__ == "__main__":
    main()
