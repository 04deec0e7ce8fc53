"""Sign-in with OpenID Connect against an independent provider (oidc-provider, run by node)."""

from __future__ import annotations

import urllib.parse

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from broker.identities import ExternalIdentity
from broker.models import AuditEvent
from broker.oidc import idtoken, tokens
from tests.conftest import make_user
from tests.oidc_support import (
    CALLBACK,
    CLIENT_ID,
    PUBLIC_CLIENT_ID,
    configure,
    sign_in,
    signed_in_user,
    start,
    through_provider,
)

pytestmark = pytest.mark.django_db


def test_the_login_page_offers_the_provider_beside_the_directory_form(oidc_on) -> None:
    page = Client().get("/login/").content.decode()
    assert "Sign in with Example ID" in page
    assert 'action="/oidc/login/"' in page
    assert 'name="password"' in page


def test_login_starts_the_code_flow_with_pkce_state_and_nonce(oidc_on) -> None:
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start(Client())).query))
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == CALLBACK
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 43 and len(query["nonce"]) >= 43
    assert set(query["scope"].split()) == {"openid", "profile", "email"}


def test_alice_signs_in_and_her_groups_are_mirrored(oidc_on, grants) -> None:
    client = Client()
    answer = sign_in(client, "alice", next_url="/?q=prod")
    assert answer.status_code == 302 and answer["Location"] == "/?q=prod"
    assert signed_in_user(client) == "alice"
    alice = User.objects.get(username="alice")
    assert set(alice.groups.values_list("name", flat=True)) == {"developers", "team-platform"}
    assert not alice.has_usable_password()
    assert ExternalIdentity.objects.get(user=alice).issuer == oidc_on.issuer
    event = AuditEvent.objects.filter(action="signin", actor="alice").get()
    assert event.method == "OidcBackend"


def test_groups_give_roles_in_the_portal(oidc_on, grants) -> None:
    client = Client()
    sign_in(client, "alice")
    portal = client.get("/").content.decode()
    assert "sandbox-admin" in portal and "prod-readonly" not in portal
    bob = Client()
    sign_in(bob, "bob")
    portal = bob.get("/").content.decode()
    assert "prod-readonly" in portal and "sandbox-admin" not in portal


def test_groups_removed_at_the_provider_are_removed_at_the_next_sign_in(oidc_on, grants) -> None:
    sign_in(Client(), "bob")
    bob = User.objects.get(username="bob")
    bob.groups.add(Group.objects.get_or_create(name="developers")[0])  # a stale extra group
    sign_in(Client(), "bob")
    assert set(bob.groups.values_list("name", flat=True)) == {"auditors"}


def test_a_second_sign_in_finds_the_same_account_by_subject(oidc_on, grants) -> None:
    sign_in(Client(), "alice")
    sign_in(Client(), "alice")
    assert User.objects.filter(username="alice").count() == 1
    assert ExternalIdentity.objects.count() == 1


def test_it_never_takes_over_a_local_password_account(oidc_on, grants) -> None:
    make_user("admin", staff=True)
    client = Client()
    answer = sign_in(client, "admin")
    assert answer.status_code == 403
    assert b"authorized" in answer.content and b"link" in answer.content
    assert signed_in_user(client) is None
    event = AuditEvent.objects.get(action="oidc.refused")
    assert event.detail["check"] == "authorized" and event.detail["subject"] == "admin"


def test_it_never_takes_over_a_directory_account(oidc_on, grants) -> None:
    from broker.models import DirectoryProfile

    alice = User.objects.create_user("alice")  # made by the directory: no password here
    DirectoryProfile.objects.create(user=alice, source="ldap")
    client = Client()
    answer = sign_in(client, "alice")
    assert answer.status_code == 403 and b"a directory account" in answer.content
    assert signed_in_user(client) is None


def test_an_admin_link_lets_the_person_into_the_existing_account(oidc_on, grants) -> None:
    alice = make_user("alice", "developers")
    ExternalIdentity.objects.create(user=alice, issuer=oidc_on.issuer, subject="alice")
    client = Client()
    assert sign_in(client, "alice").status_code == 302
    assert signed_in_user(client) == "alice"


def test_a_public_client_signs_in_with_pkce_alone(settings, oidc_provider_server, grants) -> None:
    configure(settings, oidc_provider_server.issuer, client_id=PUBLIC_CLIENT_ID, secret="")
    client = Client()
    assert sign_in(client, "bob").status_code == 302
    assert signed_in_user(client) == "bob"


def test_claims_missing_from_the_id_token_come_from_userinfo(settings, grants) -> None:
    from devtools import oidc_provider
    from tests.oidc_support import free_port, start_provider

    provider = start_provider(free_port(), claimsInIdToken=False)
    try:
        configure(settings, provider.issuer)
        client = Client()
        assert sign_in(client, "alice").status_code == 302
        groups = set(User.objects.get(username="alice").groups.values_list("name", flat=True))
        assert groups == set(oidc_provider.DEMO_USERS["alice"]["groups"])
    finally:
        provider.stop()


def test_sign_out_ends_the_session_and_offers_the_providers_sign_out(oidc_on, grants) -> None:
    client = Client()
    sign_in(client, "alice")
    page = client.post("/oidc/logout/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f'action="{oidc_on.issuer}/session/end"' in text
    assert 'name="id_token_hint"' in text and "Also sign out of Example ID" in text
    assert signed_in_user(client) is None
    assert client.get("/").status_code == 302


def test_the_portal_signs_oidc_people_out_through_the_oidc_door(oidc_on, grants) -> None:
    client = Client()
    sign_in(client, "alice")
    assert 'action="/oidc/logout/"' in client.get("/").content.decode()


def test_a_denied_consent_is_a_clear_refusal(oidc_on) -> None:
    client = Client()
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start(client)).query))
    answer = client.get("/oidc/callback/", {"error": "access_denied", "state": query["state"]})
    assert answer.status_code == 400 and b"provider_error" in answer.content
    assert signed_in_user(client) is None


def test_it_is_off_without_an_issuer(settings, db) -> None:
    settings.OIDC_ISSUER = ""
    assert Client().get("/oidc/login/").status_code == 404
    assert b"/oidc/login/" not in Client().get("/login/").content


def test_an_unknown_user_at_the_provider_never_reaches_the_broker(oidc_on) -> None:
    client = Client()
    with pytest.raises(AssertionError):
        through_provider(start(client), "mallory")
    assert signed_in_user(client) is None


def test_sign_in_still_works_after_the_provider_rotates_its_keys(settings, grants) -> None:
    from devtools import oidc_provider
    from tests.oidc_support import free_port, start_provider

    port = free_port()
    old_key = oidc_provider.new_key("key-2025")
    running = start_provider(port, keys=[old_key])
    try:
        configure(settings, running.issuer)
        assert sign_in(Client(), "alice").status_code == 302
        running.stop()
        new_key = oidc_provider.new_key("key-2026")
        running = start_provider(port, keys=[new_key, old_key])  # signs with the new key, still lists the old
        client = Client()
        assert sign_in(client, "alice").status_code == 302
        assert signed_in_user(client) == "alice"
        alice = User.objects.get(username="alice")
        assert idtoken.header(tokens.kept(client.session, alice.pk)["id_token"])["kid"] == "key-2026"
    finally:
        running.stop()


def test_the_id_token_is_kept_sealed_in_the_session(oidc_on, grants) -> None:
    client = Client()
    sign_in(client, "alice")
    blob = client.session[tokens.SESSION_KEY]
    assert "eyJ" not in blob  # no JWT in clear in the session store
    alice = User.objects.get(username="alice")
    assert tokens.kept(client.session, alice.pk)["id_token"].startswith("eyJ")
    assert tokens.kept(client.session, alice.pk + 1) is None  # bound to its user


def test_without_a_refresh_token_the_session_ends_with_the_id_token(settings, grants) -> None:
    from devtools import oidc_provider
    from tests.oidc_support import CALLBACK, free_port

    port = free_port()
    no_refresh = oidc_provider.client(
        "no-refresh", "secret-nr", [CALLBACK], grant_types=["authorization_code"]
    )
    running = oidc_provider.start(port=port, clients=[no_refresh], idTokenSeconds=600)
    try:
        configure(settings, running.issuer, client_id="no-refresh", secret="secret-nr")
        client = Client()
        assert sign_in(client, "alice").status_code == 302
        assert 500 < client.session.get_expiry_age() <= 600
    finally:
        running.stop()


def test_the_user_admin_lists_linked_external_identities(oidc_on, admin_user) -> None:
    from tests.conftest import signed_in as signed_in_client

    alice = make_user("alice", "developers")
    ExternalIdentity.objects.create(user=alice, issuer=oidc_on.issuer, subject="alice-sub-123")
    page = signed_in_client(admin_user).get(f"/admin/auth/user/{alice.pk}/change/")
    assert page.status_code == 200
    assert b"External identities" in page.content and b"alice-sub-123" in page.content
