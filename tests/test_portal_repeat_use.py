"""Repeat use of the portal: favourites and recent roles kept per person on the server, plain
labels, who to ask, and the tokens page's ready-to-paste profiles."""

from __future__ import annotations

import re

import pytest

from federation.shortcuts.models import FavouriteRole, RecentRole


def section(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</ul>", start)]


@pytest.mark.django_db
def test_a_favourite_is_kept_per_person_and_shown_first(alice_client, bob_client):
    response = alice_client.post("/roles/sandbox-admin/favourite/", {"on": "1"})
    assert response.status_code == 303 and response["Location"] == "/"

    page = alice_client.get("/").content.decode()
    assert 'data-role="sandbox-admin"' in section(page, "favourites")
    assert page.index('id="favourites"') < page.index('<details class="account"')
    assert 'id="favourites"' not in bob_client.get("/").content.decode()

    alice_client.post("/roles/sandbox-admin/favourite/", {"on": "0"})
    assert not FavouriteRole.objects.exists()


@pytest.mark.django_db
def test_a_role_not_held_cannot_be_a_favourite_and_answers_like_a_missing_one(bob_client):
    held_elsewhere = bob_client.post("/roles/sandbox-admin/favourite/", {"on": "1"})
    missing = bob_client.post("/roles/no-such-role/favourite/", {"on": "1"})
    assert held_elsewhere.status_code == missing.status_code == 403
    assert b"not available to you" in held_elsewhere.content
    assert not FavouriteRole.objects.exists()


@pytest.mark.django_db
def test_a_favourite_whose_grant_is_gone_is_not_shown(alice, alice_client):
    alice_client.post("/roles/sandbox-admin/favourite/", {"on": "1"})
    alice.groups.clear()
    assert 'id="favourites"' not in alice_client.get("/").content.decode()


@pytest.mark.django_db
def test_used_roles_appear_as_recent_newest_first_one_row_each(aws, alice, alice_client):
    alice_client.post("/roles/prod-developer/console/")
    alice_client.post("/roles/sandbox-admin/credentials/", {"duration": "900"})
    recent = section(alice_client.get("/").content.decode(), "recent")
    assert recent.index('data-role="sandbox-admin"') < recent.index('data-role="prod-developer"')

    from federation.shortcuts import store

    for alias in ("prod-s3-reader", "prod-developer", "sandbox-admin") * 3:
        store.record_use(alice, alias)
    assert RecentRole.objects.count() == 3  # one row per role, however often it is used


@pytest.mark.django_db
def test_a_refused_console_is_not_recorded_as_recent(aws, bob_client):
    bob_client.post("/roles/sandbox-admin/console/")
    assert not RecentRole.objects.exists()


@pytest.mark.django_db
def test_the_filter_hides_the_shortcuts_without_script(alice_client):
    alice_client.post("/roles/sandbox-admin/favourite/", {"on": "1"})
    assert 'id="favourites"' not in alice_client.get("/", {"q": "prod"}).content.decode()


@pytest.mark.django_db
def test_badges_use_plain_words_and_buttons_name_their_role(alice_client):
    page = alice_client.get("/").content.decode()
    assert ">AssumeRole<" not in page and ">Federation token<" not in page
    assert (
        '<span class="badge">IAM role</span>' in page and '<span class="badge">Federated user</span>' in page
    )
    assert 'Console<span class="vh"> for prod-developer (opens a new tab)</span>' in page
    assert 'CLI credentials<span class="vh"> for prod-developer</span>' in page
    assert "/</kbd> to filter" in page and "autofocus" in page


@pytest.mark.django_db
def test_scoped_is_explained_in_text_not_only_a_tooltip(bob_client):
    from django.contrib.auth.models import Group

    from federation.models import Grant

    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}],
    }
    Grant.objects.filter(group=Group.objects.get(name="auditors")).update(session_policy=policy)
    page = bob_client.get("/").content.decode()
    assert "a session policy on your group's grant narrows what this role can do for you" in page


@pytest.mark.django_db
def test_the_empty_state_names_who_to_ask(carol, settings):
    from tests.conftest import signed_in

    settings.BROKER_SUPPORT_CONTACT = "Cloud team <cloud@example.com>"
    page = signed_in(carol).get("/").content.decode()
    assert 'ask <a href="mailto:cloud@example.com">Cloud team</a>' in page

    settings.BROKER_SUPPORT_CONTACT = "#aws-access"
    assert "ask #aws-access to add you" in signed_in(carol).get("/").content.decode()


# --- the tokens page ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_tokens_page_offers_the_persons_profiles_ready_to_paste(alice_client, settings):
    page = alice_client.get("/tokens/").content.decode()
    profiles = re.search(r'<pre id="profiles">(.*?)</pre>', page, re.S).group(1)
    assert re.findall(r"\[profile (broker-[\w-]+)\]", profiles) == [
        "broker-prod-developer",
        "broker-prod-keyless",
        "broker-prod-s3-reader",
        "broker-sandbox-admin",
    ]
    assert f"{settings.BROKER_BASE_URL}/api/v1/roles/prod-developer/credentials?format=process" in profiles
    assert "ROLE" not in profiles and "/home/YOU" not in page
    assert 'data-copy="profiles"' in page


@pytest.mark.django_db
def test_a_new_token_has_a_copy_button_and_a_save_command(alice_client):
    page = alice_client.post("/tokens/", {"label": "laptop", "days": "1"}).content.decode()
    assert 'data-copy="token"' in page and 'data-copy="header-cmd"' in page
    assert "umask 077" in page and "~/.aws/broker.header" in page


@pytest.mark.django_db
def test_revoking_a_token_asks_first(alice_client):
    alice_client.post("/tokens/", {"label": "laptop", "days": "1"})
    page = alice_client.get("/tokens/").content.decode()
    assert '<details class="confirm"><summary>Revoke…</summary>' in page


@pytest.mark.django_db
def test_only_the_last_few_roles_are_kept_as_recent(alice):
    from federation.models import AwsAccount, Role
    from federation.shortcuts import store

    account = AwsAccount.objects.get(account_id="123456789012")
    for n in range(store.RECENT_KEPT + 2):
        Role.objects.create(alias=f"extra-{n}", account=account, arn=f"arn:aws:iam::123456789012:role/X{n}")
        store.record_use(alice, f"extra-{n}")
    kept = list(RecentRole.objects.filter(user=alice).values_list("role__alias", flat=True))
    assert kept == [f"extra-{n}" for n in reversed(range(2, store.RECENT_KEPT + 2))]
