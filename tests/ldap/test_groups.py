"""Directory groups decide roles, and a removal takes them away quickly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User

from broker.directory import config
from tests.ldap.conftest import is_signed_in, sign_in

pytestmark = pytest.mark.django_db
ERIN = "uid=erin,ou=people,dc=example,dc=com"
TEAM = "cn=team-platform,ou=groups,dc=example,dc=com"


def _membership(slapd, change: str) -> None:
    slapd.ldapmodify(f"dn: {TEAM}\nchangetype: modify\n{change}: member\nmember: {ERIN}\n")


@pytest.fixture
def erin_leaves_the_team(slapd) -> Iterator[callable]:  # type: ignore[valid-type]
    left = []

    def leave() -> None:
        _membership(slapd, "delete")
        left.append(True)

    yield leave
    if left:
        _membership(slapd, "add")


def _groups(username: str) -> set[str]:
    return set(User.objects.get(username=username).groups.values_list("name", flat=True))


def test_groups_are_mirrored_at_each_sign_in_including_removals(directory, erin_leaves_the_team):
    sign_in("erin", "erin-test-pass")
    assert _groups("erin") == {"developers", "team-platform"}

    erin_leaves_the_team()
    client, _ = sign_in("erin", "erin-test-pass")

    assert is_signed_in(client)
    assert _groups("erin") == set()
    assert "prod-developer" not in client.get("/").content.decode()


def test_a_removed_user_loses_the_role_at_the_next_credential_request(
    directory, aws, settings, erin_leaves_the_team
):
    settings.DIRECTORY_RECHECK_SECONDS = 0
    client, _ = sign_in("erin", "erin-test-pass")
    assert client.post("/roles/prod-developer/credentials/").status_code == 303

    erin_leaves_the_team()
    response = client.post("/roles/prod-developer/credentials/")

    assert response.status_code == 403
    assert _groups("erin") == set()


def test_within_the_window_the_mirrored_groups_are_trusted(directory, aws, settings, erin_leaves_the_team):
    settings.DIRECTORY_RECHECK_SECONDS = 300
    client, _ = sign_in("erin", "erin-test-pass")

    erin_leaves_the_team()
    response = client.post("/roles/prod-developer/credentials/")

    assert response.status_code == 303  # documented: removals apply within 300 s
    assert "developers" in _groups("erin")


def test_the_default_window_is_five_minutes(settings):
    from broker.directory.recheck import DEFAULT_WINDOW_SECONDS

    assert settings.DIRECTORY_RECHECK_SECONDS == DEFAULT_WINDOW_SECONDS == 300
    assert config.OPERATION_TIMEOUT_SECONDS <= 5


def test_a_user_deleted_from_the_directory_loses_every_group_at_the_re_check(directory, settings, slapd):
    settings.DIRECTORY_RECHECK_SECONDS = 0
    client, _ = sign_in("erin", "erin-test-pass")
    User.objects.filter(username="erin").update(username="erin-renamed")  # no such entry any more

    assert "prod-developer" not in client.get("/").content.decode()
    assert _groups("erin-renamed") == set()


def test_active_directory_sign_in_by_user_principal_name_with_nested_groups(configure, grants):
    configure(
        AUTH_LDAP_USER_SEARCH_BASE="ou=corp,dc=example,dc=com",
        AUTH_LDAP_USER_FILTER="(|(sAMAccountName=%(user)s)(userPrincipalName=%(user)s))",
        AUTH_LDAP_GROUP_SEARCH_BASE="ou=corp,dc=example,dc=com",
        AUTH_LDAP_GROUP_TYPE="nestedActiveDirectory",
    )

    by_upn, _ = sign_in("frank@corp.example.com", "frank-test-pass")
    by_sam, _ = sign_in("FRANK", "frank-test-pass")

    assert is_signed_in(by_upn) and is_signed_in(by_sam)
    assert list(User.objects.filter(username__iexact="frank").values_list("username", flat=True)) == ["frank"]
    assert _groups("frank") == {"team-data", "developers"}
    assert "prod-developer" in by_upn.get("/").content.decode()
