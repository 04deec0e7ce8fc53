"""Password guessing: after N failures per username and address the password is not even tried,
and the page says exactly what a wrong password says."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from broker.lockout import username_key
from tests.conftest import PASSWORD

GENERIC = "Please enter a correct username and password"
WRONG = "wrong-guess"
LIMIT = 5


def attempt(client: Client, username: str = "alice", password: str = WRONG, path: str = "/login/"):  # type: ignore[no-untyped-def]
    return client.post(path, {"username": username, "password": password})


def fail(client: Client, times: int = LIMIT, username: str = "alice", path: str = "/login/") -> None:
    for _ in range(times):
        response = attempt(client, username, path=path)
        assert response.status_code == 200


def refusal(response) -> str:  # type: ignore[no-untyped-def]
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", main)


@pytest.mark.django_db
def test_after_five_failures_even_the_right_password_is_refused(alice, client, settings):
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    fail(client, LIMIT - 1)
    assert attempt(client, password=PASSWORD).status_code == 302  # four are forgiven
    client.post("/logout/")

    fail(client)
    locked = attempt(client, password=PASSWORD)

    assert locked.status_code == 200 and GENERIC in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_locked_out_answer_is_the_wrong_password_answer(alice, client):
    wrong = refusal(attempt(client))
    fail(client, LIMIT - 1)
    locked = refusal(attempt(client, password=PASSWORD))
    assert locked == wrong


@pytest.mark.django_db
def test_the_lockout_is_per_username_and_address(alice, bob, client):
    fail(client)
    assert attempt(client, "bob", PASSWORD).status_code == 302
    elsewhere = Client(REMOTE_ADDR="192.0.2.10")
    assert attempt(elsewhere, "alice", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_spellings_of_one_account_share_a_counter(alice, client):
    for name in ["alice", "ALICE", "alice@corp.example.com", "CORP\\alice", " Alice "]:
        attempt(client, name)
    assert GENERIC in attempt(client, password=PASSWORD).content.decode()


def test_username_key_keeps_only_the_account_name():
    assert username_key(None, {"username": "CORP\\JDoe"}) == "jdoe"  # type: ignore[arg-type]
    assert username_key(None, {"username": "jdoe@corp.example.com"}) == "jdoe"  # type: ignore[arg-type]


@pytest.mark.django_db
def test_the_admin_has_no_password_form_of_its_own(admin_user, client):
    # One sign-in: the admin's login sends people to the guarded /login/, for GET and POST alike.
    for answer in (client.get("/admin/login/"), attempt(client, "admin", PASSWORD, path="/admin/login/")):
        assert answer.status_code == 302 and answer["Location"] == "/login/?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session
    fail(client, username="admin")
    locked = attempt(client, "admin", PASSWORD, path="/login/?next=/admin/")
    assert locked.status_code == 200 and GENERIC in locked.content.decode()


@pytest.mark.django_db
def test_forwarded_addresses_count_only_behind_a_trusted_proxy(alice, settings):
    def from_claimed(address: str) -> Client:
        return Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=address)

    for number in range(LIMIT):  # a guesser rotating a spoofed header
        attempt(from_claimed(f"198.51.100.{number}"))
    assert attempt(from_claimed("198.51.100.99"), password=PASSWORD).status_code == 200

    settings.BROKER_TRUST_PROXY = True  # now the header is the proxy's word: one client each
    assert attempt(from_claimed("198.51.100.99"), password=PASSWORD).status_code == 302
