"""Shared fixtures: real moto, the sign-in stand-in, and a small cast of users.

alice is in ``developers``, bob in ``auditors``, carol in no group, and
admin is staff. Services start once per session on free loopback ports.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from moto.server import ThreadedMotoServer

from devtools.aws_demo import provision
from devtools.signin_emulator import serve
from federation import sts
from federation.grantsfile import load

ROOT = Path(__file__).resolve().parent.parent
DEMO_GRANTS = ROOT / "devtools" / "demo-grants.yaml"
# SAML fixtures (a pysaml2 IdP, the broker trusting it) live beside the SAML tests.
pytest_plugins = ["tests.saml_support"]
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    """moto in server mode with the demo roles; the broker's keys are its IAM user's."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1")
    os.environ.update(provision(endpoint).env())
    os.environ.pop("AWS_SESSION_TOKEN", None)
    sts.reset()
    yield endpoint
    server.stop()


@pytest.fixture(scope="session")
def signin_endpoint(aws_endpoint: str) -> Iterator[str]:
    server = serve("127.0.0.1", free_port())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/federation"
    server.shutdown()


@pytest.fixture
def aws(aws_endpoint: str, signin_endpoint: str, settings) -> str:  # type: ignore[no-untyped-def]
    """The broker pointed at moto and the sign-in stand-in, with a fresh STS client."""
    settings.BROKER_SIGNIN_URL = signin_endpoint
    sts.reset()
    yield aws_endpoint
    sts.reset()


@pytest.fixture
def grants(db) -> None:  # type: ignore[no-untyped-def]
    load(DEMO_GRANTS.read_text(encoding="utf-8"))


def make_user(username: str, *groups: str, staff: bool = False) -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=staff, is_superuser=staff)
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    return user


@pytest.fixture
def alice(grants) -> User:  # type: ignore[no-untyped-def]
    return make_user("alice", "developers")


@pytest.fixture
def bob(grants) -> User:  # type: ignore[no-untyped-def]
    return make_user("bob", "auditors")


@pytest.fixture
def carol(grants) -> User:  # type: ignore[no-untyped-def]
    return make_user("carol")


@pytest.fixture
def admin_user(grants) -> User:  # type: ignore[no-untyped-def]
    return make_user("admin", staff=True)


def signed_in(user: User, **client_options: object) -> Client:
    client = Client(**client_options)
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice: User) -> Client:
    return signed_in(alice)


@pytest.fixture
def bob_client(bob: User) -> Client:
    return signed_in(bob)


# API, credential cache and worker fixtures (redis_url, cache_redis, api, celery_worker, ...).
from tests.apifixtures import *  # noqa: E402,F403
