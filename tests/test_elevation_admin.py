"""Eligible grants in the grants file and the admin; requests in the admin with their history."""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.management import CommandError, call_command

from broker.models import AuditEvent
from federation.elevation.models import AccessRequest, ApprovalRule
from federation.grantsfile import load
from federation.models import Grant
from tests.conftest import DEMO_GRANTS, signed_in
from tests.elevation_support import ELIGIBLE
from tests.test_revocation import clean_roles  # noqa: F401 - fixture


def exported() -> str:
    out = io.StringIO()
    call_command("exportgrants", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_exportgrants_round_trips_an_approval(eligible, tmp_path):
    text = exported()
    [entry] = [g for g in yaml.safe_load(text)["grants"] if "approval" in g]
    assert entry == {
        "group": "developers",
        "role": "prod-readonly",
        "approval": {
            "approvers": ["leads"],
            "approvals": 1,
            "max_seconds": 7200,
            "justification": "required",
        },
    }
    assert str(load(text)).startswith("0 created, 0 updated")


@pytest.mark.django_db
def test_changing_only_the_approval_counts_as_an_update_and_removing_it_makes_the_grant_standing(eligible):
    summary = load(DEMO_GRANTS.read_text() + ELIGIBLE.format(approvals=2))
    assert summary.updated == 1
    assert ApprovalRule.objects.get().approvals == 2

    load(DEMO_GRANTS.read_text() + "  - group: developers\n    role: prod-readonly\n")
    assert not ApprovalRule.objects.exists()
    assert Grant.objects.filter(group__name="developers", role__alias="prod-readonly").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("approval", "fault"),
    [
        ("{approvals: 1}", "].approval.approvers: is required"),
        ("{approvers: [leads], justification: maybe}", "must be required or optional"),
        ("{approvers: [leads], approvals: 0}", "approvals: Ensure this value is greater than or equal to 1"),
        (
            "{approvers: [leads], max_seconds: 60}",
            "max_seconds: Ensure this value is greater than or equal to 900",
        ),
        ("yes", "must be a mapping"),
    ],
)
def test_a_bad_approval_is_refused_and_changes_nothing(grants, tmp_path, approval, fault):
    path = tmp_path / "g.yaml"
    path.write_text(
        DEMO_GRANTS.read_text()
        + f"  - group: developers\n    role: prod-readonly\n    approval: {approval}\n"
    )
    with pytest.raises(CommandError) as refused:
        call_command("loadgrants", str(path), stdout=io.StringIO())
    assert fault in str(refused.value)
    assert not ApprovalRule.objects.exists()


@pytest.mark.django_db
def test_the_grant_admin_page_holds_the_approval_rule(eligible, admin_user):
    grant = Grant.objects.get(group__name="developers", role__alias="prod-readonly")
    page = signed_in(admin_user).get(f"/admin/federation/grant/{grant.pk}/change/").content.decode()
    assert "Approval rule (makes the grant eligible)" in page and 'name="approval-0-max_seconds"' in page
    listing = signed_in(admin_user).get("/admin/federation/grant/").content.decode()
    assert "Needs approval" in listing


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_roles")  # the revoke puts a deny on the role in moto
def test_the_admin_lists_requests_with_filters_and_shows_a_requests_history(
    aws, elevated, admin_user, django_capture_on_commit_callbacks
):
    client = signed_in(admin_user)
    active = client.get("/admin/elevation/accessrequest/", {"state": "active"}).content.decode()
    none = client.get("/admin/elevation/accessrequest/", {"state": "denied"}).content.decode()
    assert f"/admin/elevation/accessrequest/{elevated.pk}/change/" in active
    assert f"/admin/elevation/accessrequest/{elevated.pk}/change/" not in none
    for name in ("state", "role_alias", "requester_name", "created_at"):
        assert f"?{name}" in active or f"{name}__" in active

    page = client.get(f"/admin/elevation/accessrequest/{elevated.pk}/change/").content.decode()
    assert "History" in page and "requested" in page and "approved" in page and "looks right" in page

    with django_capture_on_commit_callbacks(execute=True):
        form = {"action": "revoke_elevations", "_selected_action": [elevated.pk]}
        client.post("/admin/elevation/accessrequest/", form, follow=True)
    elevated.refresh_from_db()
    assert elevated.state == AccessRequest.State.REVOKED and elevated.closed_by == "admin"
    assert AuditEvent.objects.filter(action="elevation.revoked", actor="admin").count() == 1


@pytest.mark.django_db
def test_making_a_grant_eligible_and_back_is_audited(eligible):
    changes = list(AuditEvent.objects.filter(action="grant.changed").values_list("detail__change", flat=True))
    assert "approval set" in changes and "approvers now leads" in changes

    ApprovalRule.objects.get().delete()
    removed = AuditEvent.objects.filter(action="grant.changed").latest("id")
    assert removed.detail["change"] == "approval removed (standing grant)"
    assert removed.role_alias == "prod-readonly"
