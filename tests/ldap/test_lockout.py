"""Once a username is locked out at an address, its password never reaches the directory,
so the broker cannot run a directory account into the directory's own lockout; and an outage,
where no password was checked, does not count towards it."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client
from ldap.ldapobject import SimpleLDAPObject

from tests.ldap.conftest import is_signed_in

pytestmark = pytest.mark.django_db
GENERIC_ERROR = "Please enter a correct username and password"
OUTAGE = "not answering"


def attempt(client: Client, username: str, password: str) -> str:
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 200
    return response.content.decode()


def test_after_five_failures_no_bind_reaches_slapd(directory, slapd, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert GENERIC_ERROR in attempt(client, "alice", "not-her-password")

    original = SimpleLDAPObject.simple_bind_s
    with mock.patch.object(SimpleLDAPObject, "simple_bind_s", autospec=True, side_effect=original) as bind:
        page = attempt(client, "alice", "alice-demo-pass")
    assert bind.call_count == 0
    assert GENERIC_ERROR in page and not is_signed_in(client)

    with slapd.stopped():
        locked = attempt(client, "alice", "alice-demo-pass")
        asked = attempt(client, "bob", "bob-demo-pass")  # not locked: the directory is tried
    assert GENERIC_ERROR in locked and OUTAGE not in locked
    assert OUTAGE in asked


def test_a_directory_outage_does_not_count_towards_the_lockout(directory, slapd, settings):
    client = Client()
    with slapd.stopped():
        for _ in range(settings.AXES_FAILURE_LIMIT + 1):
            assert OUTAGE in attempt(client, "alice", "alice-demo-pass")
    response = client.post("/login/", {"username": "alice", "password": "alice-demo-pass"})
    assert response.status_code == 302 and is_signed_in(client)
