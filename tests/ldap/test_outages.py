"""A directory that is down, hung or distrusted fails sign-in fast and says so."""

from __future__ import annotations

import logging
import time

import pytest

from broker.directory.config import OPERATION_TIMEOUT_SECONDS
from broker.directory.errors import USER_MESSAGE
from tests.conftest import make_user
from tests.ldap.conftest import SERVICE_PASSWORD, is_signed_in, sign_in

pytestmark = pytest.mark.django_db


def _timed_sign_in(username: str, password: str):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    client, response = sign_in(username, password)
    return client, response, time.monotonic() - started


def test_a_stopped_directory_fails_the_sign_in_at_once_with_a_clear_error(directory, slapd, caplog):
    with slapd.stopped():
        client, response, elapsed = _timed_sign_in("alice", "alice-demo-pass")

    assert response.status_code == 200 and not is_signed_in(client)
    assert USER_MESSAGE in response.content.decode()
    assert elapsed < 2
    assert "SERVER_DOWN" in caplog.text and "not answering" in caplog.text
    assert SERVICE_PASSWORD not in caplog.text and SERVICE_PASSWORD not in response.content.decode()


def test_a_hung_directory_fails_the_sign_in_within_the_timeout(directory, slapd, caplog):
    with slapd.hung():
        client, response, elapsed = _timed_sign_in("alice", "alice-demo-pass")

    assert response.status_code == 200 and not is_signed_in(client)
    assert USER_MESSAGE in response.content.decode()
    assert OPERATION_TIMEOUT_SECONDS - 1 < elapsed < OPERATION_TIMEOUT_SECONDS + 3
    assert "TIMEOUT" in caplog.text


def test_the_local_admin_signs_in_while_the_directory_is_down(directory, slapd):
    make_user("admin", staff=True)
    with slapd.stopped():
        client, response, _ = _timed_sign_in("admin", "correct horse battery staple")

    assert response.status_code == 302 and is_signed_in(client)


def test_an_outage_at_the_re_check_refuses_credentials_with_a_503_not_stale_groups(
    directory, aws, settings, slapd
):
    client, _ = sign_in("alice", "alice-demo-pass")
    settings.DIRECTORY_RECHECK_SECONDS = 0

    with slapd.stopped():
        credentials = client.post("/roles/prod-developer/credentials/")
        portal = client.get("/")

    assert credentials.status_code == 503 and "not answering" in credentials.content.decode()
    assert portal.status_code == 503 and portal["Retry-After"]


def test_starttls_with_the_directory_ca_works(configure, grants, test_ca):
    configure(AUTH_LDAP_START_TLS="true", AUTH_LDAP_CA_CERT_FILE=test_ca[0])

    client, response = sign_in("alice", "alice-demo-pass")

    assert response.status_code == 302 and is_signed_in(client)


def test_starttls_without_the_directory_ca_is_refused(configure, grants, caplog):
    caplog.set_level(logging.WARNING)
    configure(AUTH_LDAP_START_TLS="true")  # system CAs only: the test CA is not among them

    client, response = sign_in("alice", "alice-demo-pass")

    assert not is_signed_in(client)
    assert USER_MESSAGE in response.content.decode()
    assert "certificate" in caplog.text.lower()
