"""SAML sign-in that must work: SP- and IdP-initiated, groups, rollover, metadata, the login page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from broker.models import AuditEvent, DirectoryProfile
from tests.saml_support import ACS, ENTITY, Sso, check_of, write_metadata

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def test_sp_initiated_sign_in_lands_on_the_portal_with_the_developers_roles(sso: Sso, grants):
    client = Client()
    page = sso.sign_in(client, name_id="alice")

    assert page.status_code == 302 and page["Location"] == "/"
    portal = client.get("/")
    assert portal.status_code == 200
    assert b"prod-developer" in portal.content
    assert User.objects.get(username="alice").groups.filter(name="developers").exists()


def test_next_is_kept_through_the_idp(sso: Sso):
    client = Client()
    page = sso.sign_in(client, next_url="/roles/?q=prod")
    assert page["Location"] == "/roles/?q=prod"


@pytest.mark.parametrize(
    "hostile", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_to_another_site_becomes_the_portal(sso: Sso, hostile: str):
    client = Client()
    assert sso.sign_in(client, next_url=hostile)["Location"] == "/"


def test_groups_are_mirrored_and_removed_ones_dropped(sso: Sso, grants):
    sso.sign_in(Client(), name_id="alice", attributes={"groups": ["auditors"]})
    alice = User.objects.get(username="alice")
    assert set(alice.groups.values_list("name", flat=True)) == {"auditors"}

    sso.sign_in(Client(), name_id="alice", attributes={"groups": ["developers"]})

    assert set(alice.groups.values_list("name", flat=True)) == {"developers"}


@pytest.mark.parametrize("staff", [True, False], ids=["local-superuser", "local-user"])
def test_an_assertion_never_takes_over_a_local_account(sso: Sso, staff):
    local = User.objects.create_user(
        "admin", password="break-glass-pass-123", is_staff=staff, is_superuser=staff
    )
    client = Client()

    page = sso.sign_in(client, name_id="admin", attributes={"groups": ["developers"]})

    assert page.status_code == 400
    assert "_auth_user_id" not in client.session
    assert not local.groups.exists()
    assert AuditEvent.objects.filter(action="saml.refused", actor="admin").exists()


def test_a_directory_user_may_also_sign_in_with_sso(sso: Sso, grants):
    alice = User.objects.create_user("alice")  # made by the directory: no usable password
    DirectoryProfile.objects.create(user=alice, source="ldap")
    client = Client()

    assert sso.sign_in(client, name_id="alice", attributes={"groups": ["developers"]})["Location"] == "/"
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert set(alice.groups.values_list("name", flat=True)) == {"developers"}


def test_attributes_are_kept_for_session_tags(sso: Sso):
    attributes = {"groups": ["developers"], "department": ["platform"], "team": ["red", "blue"]}
    sso.sign_in(Client(), attributes=attributes)

    profile = DirectoryProfile.objects.get(user__username="alice")
    assert profile.source == "saml"
    assert profile.attributes == {"department": "platform", "team": "red:blue"}
    assert profile.groups_checked_at is not None


def test_username_may_come_from_an_attribute(sso: Sso, settings):
    settings.SAML_USERNAME_ATTRIBUTE = "login"
    sso.sign_in(Client(), name_id="opaque-8f2c", attributes={"login": ["alice"], "groups": []})
    assert User.objects.filter(username="alice").exists()
    assert not User.objects.filter(username="opaque-8f2c").exists()


def test_sign_in_rotates_the_session_and_is_audited(sso: Sso):
    client = Client()
    started = sso.start(client)
    before = client.cookies["sessionid"].value
    sso.finish(client, sso.post(client, sso.respond(started), started.relay))

    assert client.cookies["sessionid"].value != before
    event = AuditEvent.objects.get(action="signin")
    assert (event.actor, event.method) == ("alice", "SamlBackend")


def test_idp_initiated_sign_in_works_when_switched_on(sso: Sso, saml_on):
    saml_on.SAML_ALLOW_IDP_INITIATED = True
    client = Client()
    answer = sso.post(client, sso.respond(None), "/roles/")

    assert sso.finish(client, answer)["Location"] == "/roles/"
    assert client.get("/").status_code == 200


def test_a_certificate_rollover_accepts_the_old_and_the_new_key(sso: Sso, saml_on, saml_keys, idp, tmp_path):
    saml_on.SAML_IDP_METADATA_FILE = str(write_metadata(tmp_path, idp, [saml_keys.idp, saml_keys.next_idp]))

    old = Client()
    assert sso.sign_in(old, name_id="alice").status_code == 302
    new = Client()
    started = sso.start(new)
    answer = sso.post(new, sso.respond(started, name_id="bob", key=saml_keys.next_idp), started.relay)
    assert sso.finish(new, answer).status_code == 302
    assert new.get("/").context["user"].username == "bob"


def test_metadata_names_the_acs_and_entity_id(saml_on):
    answer = Client().get("/saml/metadata/")
    assert answer.status_code == 200
    text = answer.content.decode()
    assert f'entityID="{ENTITY}"' in text
    assert f'Location="{ACS}"' in text
    assert 'WantAssertionsSigned="true"' in text


def test_login_page_offers_sso_only_when_on(saml_on, settings):
    assert b"Sign in with SSO" in Client().get("/login/").content
    settings.SAML_IDP_METADATA_FILE = ""
    assert b"Sign in with SSO" not in Client().get("/login/").content
    assert Client().get("/saml/login/").status_code == 404


def test_authn_requests_are_signed_when_the_sp_has_a_key(saml_on, saml_keys):
    saml_on.SAML_SP_CERT_FILE = str(saml_keys.next_idp.cert_file)
    saml_on.SAML_SP_KEY_FILE = str(saml_keys.next_idp.key_file)
    answer = Client().get("/saml/login/")
    assert "Signature=" in answer["Location"]
    assert "SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256" in answer["Location"]
    assert b'AuthnRequestsSigned="true"' in Client().get("/saml/metadata/").content


def test_a_refusal_is_json_for_callers_that_want_json(sso: Sso):
    answer = Client().post("/saml/acs/", {"SAMLResponse": "bm90IHhtbA=="}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 400
    assert answer.json()["error"] == "saml_refused"
    assert answer.json()["check"] == "malformed"


def test_a_refusal_is_audited_with_the_check(sso: Sso):
    check_of(Client().post("/saml/acs/", {"SAMLResponse": "!!"}))
    event = AuditEvent.objects.get(action="saml.refused")
    assert event.outcome == "denied"
    assert event.detail["check"] == "malformed"


def test_redis_down_refuses_sign_in(sso: Sso, saml_on, settings):
    saml_on.SAML_ALLOW_IDP_INITIATED = True
    encoded = sso.respond(None)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert check_of(sso.post(Client(), encoded, None)) == "replay"
    assert not User.objects.filter(username="alice").exists()
