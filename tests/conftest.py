"""Shared fixtures: real moto, the sign-in stand-in, and a small cast of users.

alice is in ``developers``, bob in ``auditors``, carol in no group, and
admin is staff (with a TOTP device, verified in every session ``signed_in`` opens,
since the admin site wants a second factor from staff). Services start once per
session on free loopback ports.
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
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from moto.server import ThreadedMotoServer

from broker.mfa import stepup
from devtools.aws_demo import provision
from devtools.signin_emulator import serve
from federation import chaining, sts
from federation.grantsfile import load

ROOT = Path(__file__).resolve().parent.parent
DEMO_GRANTS = ROOT / "devtools" / "demo-grants.yaml"
# SAML fixtures (a pysaml2 IdP, the broker trusting it), OIDC's, keyless SAML's, elevation's and the
# CLI's (a live broker, the CLI as a subprocess, a scripted browser) live in their own modules.
pytest_plugins = [
    "tests.saml_support", "tests.oidc_support", "tests.keyless_support", "tests.elevation_support",
    "tests.cli_support",
]  # fmt: skip
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
    chaining.reset()
    yield aws_endpoint
    sts.reset()
    chaining.reset()


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


def totp_device(user: User) -> TOTPDevice:
    """The user's confirmed authenticator (made on first use)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test phone", confirmed=True)


def totp_code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the authenticator shows now (or ``steps_ahead`` 30-second steps later: a code
    is accepted once, so a second verification in the same step needs the next one)."""
    t0 = device.t0 - steps_ahead * device.step
    return f"{totp(device.bin_key, device.step, t0, device.digits):06d}"


def mfa_verified(client: Client, user: User) -> Client:
    """Mark the client's session as having shown a TOTP code just now, as the verify page does."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session[stepup.VERIFIED_AT], session[stepup.FACTOR] = stepup.clock(), "totp"
    session.save()
    return client


def signed_in(user: User, *, mfa: bool | None = None, **client_options: object) -> Client:
    """A client signed in as ``user``; staff also verified a code unless ``mfa=False``."""
    client = Client(**client_options)
    client.force_login(user)
    if user.is_staff if mfa is None else mfa:
        mfa_verified(client, user)
    return client


@pytest.fixture
def alice_client(alice: User) -> Client:
    return signed_in(alice)


@pytest.fixture
def bob_client(bob: User) -> Client:
    return signed_in(bob)


# API, credential cache and worker fixtures (redis_url, cache_redis, api, celery_worker, ...).
from tests.apifixtures import *  # noqa: E402,F403
