"""A real slapd for the directory sign-in tests, started once per session.

It holds the demo company (alice ∈ team-platform ∈ developers, bob ∈
auditors, carol in no group) plus erin (whose groups tests change) and an
Active Directory-shaped corner (``ou=corp``: sAMAccountName,
userPrincipalName, ``group`` entries with nested membership). It allows
unauthenticated binds (a DN with an empty password) on purpose, as many
directories do, and speaks StartTLS with a CA generated for this run.
"""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.test import Client

from broker.directory.config import ldap_settings
from devtools.demo_directory import DATA, DemoDirectory, prepare
from tests.ldap.tls import make_ca

SERVICE_PASSWORD = "svc-Bind-Pa55-never-logged"

EXTRA_LDIF = """
dn: uid=erin,ou=people,dc=example,dc=com
changetype: add
objectClass: inetOrgPerson
uid: erin
cn: Erin Evans
sn: Evans
departmentNumber: platform
userPassword: erin-test-pass

dn: cn=team-platform,ou=groups,dc=example,dc=com
changetype: modify
add: member
member: uid=erin,ou=people,dc=example,dc=com
"""

AD_LDIF = """
dn: ou=corp,dc=example,dc=com
objectClass: organizationalUnit
ou: corp

dn: cn=Frank Fischer,ou=corp,dc=example,dc=com
objectClass: user
cn: Frank Fischer
sn: Fischer
uid: frank-unix
sAMAccountName: frank
userPrincipalName: frank@corp.example.com
department: Data Science
memberOf: cn=team-data,ou=corp,dc=example,dc=com
userPassword: frank-test-pass

dn: cn=team-data,ou=corp,dc=example,dc=com
objectClass: group
cn: team-data
member: cn=Frank Fischer,ou=corp,dc=example,dc=com

dn: cn=developers,ou=corp,dc=example,dc=com
objectClass: group
cn: developers
member: cn=team-data,ou=corp,dc=example,dc=com
"""


class TestDirectory(DemoDirectory):
    """The demo directory, an AD stand-in schema added, unauthenticated binds allowed."""

    __test__ = False
    openldap_schema_files = (*DemoDirectory.openldap_schema_files, str(DATA / "ad-schema.ldif"))
    allows = "bind_v2 bind_anon_dn"

    def stopped(self) -> _Stopped:
        return _Stopped(self)

    def hung(self) -> _Hung:
        return _Hung(self)


class _Stopped:
    def __init__(self, server: TestDirectory) -> None:
        self.server = server

    def __enter__(self) -> None:
        self.server.terminate()
        self.server.wait()

    def __exit__(self, *exc: object) -> None:
        self.server.resume()


class _Hung:
    """SIGSTOP: the kernel still accepts connections, nothing ever answers."""

    def __init__(self, server: TestDirectory) -> None:
        self.server = server

    def __enter__(self) -> None:
        os.kill(self.server.pid, signal.SIGSTOP)

    def __exit__(self, *exc: object) -> None:
        os.kill(self.server.pid, signal.SIGCONT)


@pytest.fixture(scope="session")
def test_ca() -> Iterator[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory(prefix="broker-ca-") as directory:
        yield make_ca(Path(directory))


@pytest.fixture(scope="session")
def slapd(test_ca: tuple[str, str, str]) -> Iterator[TestDirectory]:
    server = TestDirectory(service_password=SERVICE_PASSWORD, tls=test_ca)
    server.start()
    try:
        server.seed()
        server.ldapmodify(prepare(EXTRA_LDIF))
        server.ldapadd(prepare(AD_LDIF))
        yield server
    finally:
        server.stop()


Configure = Callable[..., dict]


@pytest.fixture
def configure(slapd: TestDirectory, settings, monkeypatch) -> Configure:  # type: ignore[no-untyped-def]
    """Point the broker at the test slapd through the real AUTH_LDAP_* parsing."""

    def apply(**overrides: str) -> dict:
        for name in [name for name in os.environ if name.startswith("AUTH_LDAP_")]:
            monkeypatch.delenv(name)
        for name, value in slapd.broker_env(**overrides).items():
            monkeypatch.setenv(name, value)
        values = ldap_settings(debug=False)
        for name, value in values.items():
            setattr(settings, name, value)
        settings.AUTHENTICATION_BACKENDS = [
            "axes.backends.AxesStandaloneBackend",  # first, as in broker/settings.py
            "broker.directory.backend.DirectoryBackend",
            "django.contrib.auth.backends.ModelBackend",
        ]
        return values

    return apply


@pytest.fixture
def directory(configure: Configure, grants) -> dict:  # type: ignore[no-untyped-def]
    """Directory sign-in on, with the demo grants loaded."""
    return configure()


def sign_in(username: str, password: str) -> tuple[Client, object]:
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    return client, response


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session
