"""Signing in on /login/ with a directory account, against a real slapd."""

from __future__ import annotations

import logging
from unittest import mock

import ldap
import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.test import RequestFactory
from ldap.ldapobject import SimpleLDAPObject

from broker.models import DirectoryProfile
from tests.conftest import make_user
from tests.ldap.conftest import SERVICE_PASSWORD, is_signed_in, sign_in

pytestmark = pytest.mark.django_db
ALICE_DN = "uid=alice,ou=people,dc=example,dc=com"
GENERIC_ERROR = "Please enter a correct username and password"


def test_alice_signs_in_with_her_directory_password_and_sees_roles_from_nested_groups(directory):
    client, response = sign_in("alice", "alice-demo-pass")

    assert response.status_code == 302 and response["Location"] == "/"
    assert is_signed_in(client)
    page = client.get("/").content.decode()
    assert "prod-developer" in page and "sandbox-admin" in page  # developers, through team-platform
    assert "prod-readonly" not in page  # auditors only
    alice = User.objects.get(username="alice")
    assert set(alice.groups.values_list("name", flat=True)) == {"developers", "team-platform"}
    assert not alice.has_usable_password()  # the directory holds the password, not the broker
    assert (alice.email, alice.first_name) == ("alice@example.com", "Alice")


def test_directory_attributes_are_kept_for_session_tags_but_never_the_password(directory):
    sign_in("alice", "alice-demo-pass")

    profile = DirectoryProfile.objects.get(user__username="alice")
    assert profile.source == "ldap" and profile.groups_checked_at is not None
    assert profile.attributes["departmentNumber"] == "platform"
    assert profile.attributes["employeeType"] == "engineering"
    assert not any("password" in name.lower() for name in profile.attributes)


def test_a_wrong_password_gets_the_same_error_as_an_unknown_user(directory):
    wrong_client, wrong = sign_in("alice", "not-her-password")
    unknown_client, unknown = sign_in("nobody-at-all", "not-her-password")

    assert wrong.status_code == unknown.status_code == 200
    assert GENERIC_ERROR in wrong.content.decode()
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert "not answering" not in wrong.content.decode()
    assert not is_signed_in(wrong_client) and not is_signed_in(unknown_client)


def test_the_directory_really_accepts_a_dn_with_an_empty_password(slapd):
    """The premise of the next test: this directory allows unauthenticated binds."""
    connection = ldap.initialize(slapd.ldap_uri)
    connection.simple_bind_s(ALICE_DN, "")
    assert connection.whoami_s() == ""  # bound, but anonymous


@pytest.mark.parametrize("password", ["", " ", "\t \n"])
def test_a_blank_password_is_refused_before_any_bind(directory, password):
    request = RequestFactory().post("/login/")
    with mock.patch.object(SimpleLDAPObject, "simple_bind_s", autospec=True) as bind:
        user = authenticate(request, username="alice", password=password)

    assert user is None
    bind.assert_not_called()


def test_a_whitespace_password_on_the_form_does_not_sign_in(directory):
    client, response = sign_in("alice", "   ")

    assert GENERIC_ERROR in response.content.decode()
    assert not is_signed_in(client)


def test_a_username_with_filter_metacharacters_is_refused_and_escaped_in_the_filter(directory):
    original = SimpleLDAPObject.search_ext
    with mock.patch.object(SimpleLDAPObject, "search_ext", autospec=True, side_effect=original) as search:
        client, response = sign_in("*)(uid=*", "alice-demo-pass")

    assert not is_signed_in(client)
    assert GENERIC_ERROR in response.content.decode()
    filters = [call.args[3] for call in search.call_args_list]
    assert r"(uid=\2a\29\28uid=\2a)" in filters
    assert not any("*)(uid=*" in text for text in filters)


def test_the_local_admin_still_signs_in_beside_the_directory(directory):
    make_user("admin", staff=True)

    client, response = sign_in("admin", "correct horse battery staple")

    assert response.status_code == 302 and is_signed_in(client)


def test_a_directory_entry_cannot_take_over_a_local_account_of_the_same_name(directory):
    carol = make_user("carol")  # local account; the directory also has a carol

    directory_client, _ = sign_in("carol", "carol-demo-pass")
    local_client, _ = sign_in("carol", "correct horse battery staple")

    assert not is_signed_in(directory_client)
    assert is_signed_in(local_client)
    assert not DirectoryProfile.objects.filter(user=carol).exists()


def test_the_bind_password_never_reaches_the_logs(directory, caplog):
    caplog.set_level(logging.DEBUG)

    sign_in("alice", "alice-demo-pass")
    sign_in("alice", "wrong")
    sign_in("*)(uid=*", "x")

    assert caplog.records  # django-auth-ldap did log at DEBUG
    assert SERVICE_PASSWORD not in caplog.text
    assert "alice-demo-pass" not in caplog.text


def test_deactivating_a_directory_user_ends_their_live_session(directory, aws):
    client, _ = sign_in("alice", "alice-demo-pass")
    User.objects.filter(username="alice").update(is_active=False)

    assert client.get("/")["Location"].startswith("/login/")
    refused = client.post("/roles/prod-developer/credentials/")
    assert refused.status_code == 302 and refused["Location"].startswith("/login/")
