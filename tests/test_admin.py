"""The Django admin: grants inline on groups, who can reach a role, a read-only ledger."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from federation.models import Grant, Issuance, Role
from tests.conftest import signed_in


@pytest.fixture
def admin_client(admin_user):  # type: ignore[no-untyped-def]
    return signed_in(admin_user)


@pytest.mark.django_db
def test_a_role_page_lists_who_can_reach_it(admin_client, alice, bob, carol):
    role = Role.objects.get(alias="prod-developer")
    page = admin_client.get(f"/admin/federation/role/{role.pk}/change/").content.decode()
    assert "Who can reach it" in page
    assert "alice, bob" in page
    assert "carol" not in page


@pytest.mark.django_db
def test_a_user_page_lists_the_roles_they_can_reach(admin_client, bob):
    page = admin_client.get(f"/admin/auth/user/{bob.pk}/change/").content.decode()
    assert "prod-readonly (Production)" in page
    assert "sandbox-admin" not in page


@pytest.mark.django_db
def test_an_admin_adds_a_grant_inline_on_a_group(admin_client, carol):
    group = Group.objects.create(name="newcomers")
    role = Role.objects.get(alias="prod-readonly")
    form = {
        "name": "newcomers",
        "aws_grants-TOTAL_FORMS": "1",
        "aws_grants-INITIAL_FORMS": "0",
        "aws_grants-0-role": str(role.pk),
        "aws_grants-0-session_seconds": "0.5",  # hours
        "aws_grants-0-session_policy": "",
    }
    response = admin_client.post(f"/admin/auth/group/{group.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Grant.objects.get(group=group).session_seconds == 1800


@pytest.mark.django_db
def test_the_admin_refuses_a_grant_longer_than_the_role(admin_client):
    group = Group.objects.create(name="newcomers")
    role = Role.objects.get(alias="prod-readonly")
    form = {
        "name": "newcomers",
        "aws_grants-TOTAL_FORMS": "1",
        "aws_grants-INITIAL_FORMS": "0",
        "aws_grants-0-role": str(role.pk),
        "aws_grants-0-session_seconds": "2",
        "aws_grants-0-session_policy": "",
    }
    response = admin_client.post(f"/admin/auth/group/{group.pk}/change/", form)
    assert response.status_code == 200
    assert "The role allows at most 1 h (3600 s)." in response.content.decode()
    assert not Grant.objects.filter(group=group).exists()


@pytest.mark.django_db
def test_the_admin_refuses_an_arn_in_another_account(admin_client):
    role = Role.objects.get(alias="sandbox-admin")
    form = {
        "alias": role.alias,
        "account": str(role.account_id),
        "arn": "arn:aws:iam::123456789012:role/Admin",
        "federation_policy": "",
        "max_session_seconds": "1",
        "session_tags": "",
        "grants-TOTAL_FORMS": "0",
        "grants-INITIAL_FORMS": "0",
    }
    response = admin_client.post(f"/admin/federation/role/{role.pk}/change/", form)
    assert response.status_code == 200
    assert "names account 123456789012, not 111122223333" in response.content.decode()


@pytest.mark.django_db
def test_ledger_and_audit_are_read_only(admin_client, aws, alice_client):
    alice_client.post("/roles/prod-developer/credentials/")
    issuance = Issuance.objects.get()
    assert admin_client.get("/admin/federation/issuance/").status_code == 200
    assert admin_client.get("/admin/broker/auditevent/").status_code == 200
    assert admin_client.get("/admin/federation/issuance/add/").status_code == 403
    assert (
        admin_client.post(f"/admin/federation/issuance/{issuance.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Issuance.objects.filter(pk=issuance.pk).exists()


@pytest.mark.django_db
def test_people_without_staff_rights_cannot_open_the_admin(alice_client):
    assert alice_client.get("/admin/")["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_the_admin_exports_the_grants_file(admin_client):
    from federation.grantsfile import dump, export

    response = admin_client.get("/admin/federation/role/grants-file/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="grants.yaml"'
    assert response.content.decode() == dump(export())
    assert "Export grants file" in admin_client.get("/admin/federation/role/").content.decode()


@pytest.mark.django_db
def test_the_admin_loads_a_grants_file_with_prune(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import DEMO_GRANTS

    text = (
        DEMO_GRANTS.read_text().split("grants:\n")[0]
        + "grants:\n  - group: developers\n    role: prod-developer\n"
    )
    upload = SimpleUploadedFile("g.yaml", text.encode())
    response = admin_client.post("/admin/federation/role/grants-file/load/", {"file": upload, "prune": "on"})
    assert response.status_code == 302
    assert list(Grant.objects.values_list("group__name", "role__alias")) == [("developers", "prod-developer")]
    assert Role.objects.count() == 5


@pytest.mark.django_db
def test_a_bad_upload_names_the_fault_and_changes_nothing(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = Grant.objects.count()
    upload = SimpleUploadedFile("g.yaml", b"grants:\n  - group: x\n    role: missing\n")
    response = admin_client.post("/admin/federation/role/grants-file/load/", {"file": upload, "prune": "on"})
    assert response.status_code == 200
    assert "grants[0].role (line 3): no role with alias" in response.content.decode()
    assert Grant.objects.count() == before


@pytest.mark.django_db
def test_staff_without_grant_permissions_cannot_load_a_file(grants):
    from tests.conftest import make_user

    helpdesk = make_user("helpdesk")
    helpdesk.is_staff = True
    helpdesk.save()
    client = signed_in(helpdesk)
    assert client.get("/admin/federation/role/grants-file/load/").status_code == 403
    assert client.get("/admin/federation/role/grants-file/export/").status_code == 403
