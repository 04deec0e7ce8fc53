"""Just-in-time elevation through the portal and the API, against moto and the sign-in stand-in.

The whole flow (request → approve → console → revoke → refused), and each
rule the issue names as its own test: quorum, no self-approval, approvers
from the approver groups only, a justification when required, a duration
within the maximum, and an eligible role answering like one not held.
"""

from __future__ import annotations

import pytest

from broker.models import AuditEvent
from federation.elevation.models import AccessRequest, RequestEvent
from tests.apifixtures import bearer
from tests.conftest import signed_in
from tests.elevation_support import ask, decide, eligible_grants, latest
from tests.test_console import follow
from tests.test_revocation import clean_roles  # noqa: F401 - fixture

State = AccessRequest.State


def personal_token(user) -> str:  # type: ignore[no-untyped-def]
    from broker.apitokens import tokens

    return tokens.mint(user=user, label="test")[1]


def post(client, path: str, body: dict | None = None):  # type: ignore[no-untyped-def]
    return client.post(path, body or {}, content_type="application/json")


def api_request(client, duration: int = 900, justification: str = "x", **extra):  # type: ignore[no-untyped-def]
    body = {"role": "prod-readonly", "duration_seconds": duration, "justification": justification, **extra}
    return post(client, "/api/v1/access-requests/", body)


@pytest.mark.django_db
def test_an_eligible_role_answers_like_a_role_not_held_until_approved(aws, eligible, alice, alice_client):
    page = alice_client.post("/roles/prod-readonly/console/")
    api = bearer(personal_token(alice)).get("/api/v1/roles/prod-readonly/credentials")

    assert page.status_code == 403 and "role_not_available" in page.content.decode()
    assert (api.status_code, api.json()["error"]) == (403, "role_not_available")
    assert "prod-readonly" not in [
        r["alias"] for r in bearer(personal_token(alice)).get("/api/v1/roles/").json()
    ]


@pytest.mark.django_db
def test_the_portal_shows_eligible_roles_beside_standing_ones_with_a_request_form(eligible, alice_client):
    page = alice_client.get("/").content.decode()

    assert "Roles you can request" in page
    assert 'action="/roles/prod-readonly/request/"' in page
    assert "prod-developer" in page  # standing roles are still there
    assert "/api/v1/access-requests/" in page  # the curl a script would send


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_roles")
def test_request_approve_console_revoke_refused(aws, eligible, alice_client, dave_client):
    answer = ask(alice_client)
    request = latest()
    assert answer.status_code == 302 and answer["Location"] == f"/requests/{request.pk}/"
    assert request.state == State.PENDING
    assert alice_client.post("/roles/prod-readonly/console/").status_code == 403

    assert decide(dave_client, request, "approve", "on call tonight").status_code == 302
    request.refresh_from_db()
    assert request.state == State.ACTIVE

    console = alice_client.post("/roles/prod-readonly/console/")
    assert console.status_code == 302
    assert "arn:aws:sts::123456789012:assumed-role/ReadOnly/alice" in follow(console["Location"])
    mine = alice_client.get(f"/requests/{request.pk}/").content.decode()
    assert "s left" in mine and "active" in mine

    assert decide(dave_client, request, "revoke", "done").status_code == 302
    request.refresh_from_db()
    assert request.state == State.REVOKED
    refused = alice_client.post("/roles/prod-readonly/console/")
    assert refused.status_code == 403 and "role_not_available" in refused.content.decode()
    history = list(RequestEvent.objects.filter(request=request).values_list("action", flat=True))
    assert history[:3] == ["requested", "approved", "revoked"]
    page = alice_client.get(f"/requests/{request.pk}/").content.decode()
    assert "on call tonight" in page and "revoked" in page
    # each step is a declared audit action: the admin's filter and `exportaudit --action` know it
    elevation_events = AuditEvent.objects.filter(action__startswith="elevation.")
    recorded = set(elevation_events.values_list("action", flat=True))
    assert {"elevation.requested", "elevation.approved", "elevation.revoked"} <= recorded
    assert recorded <= set(AuditEvent.Action.values)


@pytest.mark.django_db
def test_a_quorum_of_two_needs_two_distinct_approvers(grants, alice_client, dave_client, erin_client):
    eligible_grants(approvals=2)
    ask(alice_client)
    request = latest()

    decide(dave_client, request, "approve")
    request.refresh_from_db()
    assert request.state == State.PENDING
    again = decide(dave_client, request, "approve")
    assert again.status_code == 409 and "already approved" in again.content.decode()

    decide(erin_client, request, "approve")
    request.refresh_from_db()
    assert request.state == State.ACTIVE
    assert sorted(request.approvals.values_list("approver_name", flat=True)) == ["dave", "erin"]


@pytest.mark.django_db
def test_no_one_approves_their_own_request(eligible, alice):
    from django.contrib.auth.models import Group

    alice.groups.add(Group.objects.get_or_create(name="leads")[0])  # alice is an approver herself
    client = signed_in(alice)
    ask(client)
    request = latest()

    answer = decide(client, request, "approve")

    assert answer.status_code == 403 and "their own request" in answer.content.decode()
    request.refresh_from_db()
    assert request.state == State.PENDING and not request.approvals.exists()
    event = AuditEvent.objects.get(action="elevation.refused")
    assert (event.actor, event.outcome, event.detail["attempted"]) == ("alice", "denied", "approve")


@pytest.mark.django_db
def test_an_approver_outside_the_approver_groups_is_refused(eligible, alice_client, bob, carol):
    ask(alice_client)
    request = latest()

    for outsider in (bob, carol):
        answer = decide(signed_in(outsider), request, "approve")
        assert answer.status_code == 404  # they may not even see it
    request.refresh_from_db()
    assert request.state == State.PENDING and not request.approvals.exists()


@pytest.mark.django_db
def test_a_justification_is_required_when_the_rule_says_so(eligible, alice_client):
    answer = ask(alice_client, justification="  ")

    assert answer.status_code == 400
    assert "a justification is required to request prod-readonly" in answer.content.decode()
    assert not AccessRequest.objects.exists()


@pytest.mark.django_db
def test_a_duration_above_the_maximum_is_refused(eligible, alice_client):
    answer = ask(alice_client, duration_seconds="7201")

    assert answer.status_code == 400
    assert "between 900 and 7200 seconds" in answer.content.decode()
    assert not AccessRequest.objects.exists()


@pytest.mark.django_db
def test_a_role_not_eligible_cannot_be_requested(eligible, carol):
    answer = ask(signed_in(carol))
    assert answer.status_code == 403 and "role_not_available" in answer.content.decode()


@pytest.mark.django_db
def test_a_second_open_request_for_the_same_role_is_refused(eligible, alice_client):
    ask(alice_client)
    answer = ask(alice_client)
    assert answer.status_code == 409 and "already have request" in answer.content.decode()


@pytest.mark.django_db
def test_approving_needs_a_fresh_second_factor_when_mfa_is_on(eligible, alice_client, dave):
    from tests.conftest import mfa_verified, totp_device

    totp_device(dave)  # dave enrolled: MFA is on for him
    ask(alice_client)
    request = latest()
    client = signed_in(dave, mfa=False)

    refused = decide(client, request, "approve")
    assert refused.status_code == 302 and refused["Location"].startswith("/mfa/verify/")
    request.refresh_from_db()
    assert request.state == State.PENDING

    decide(mfa_verified(client, dave), request, "approve")
    request.refresh_from_db()
    assert request.state == State.ACTIVE


@pytest.mark.django_db
def test_requests_lists_mine_and_those_i_may_approve(eligible, alice_client, dave_client):
    ask(alice_client)
    request = latest()

    mine = alice_client.get("/requests/").content.decode()
    theirs = dave_client.get("/requests/").content.decode()
    assert f"/requests/{request.pk}/" in mine and "Nothing waits for your approval" in mine
    assert f"/requests/{request.pk}/" in theirs and "INC-42" in theirs


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_roles")
def test_the_requester_cancels_an_active_elevation_and_loses_the_role(
    aws, eligible, alice_client, dave_client, django_capture_on_commit_callbacks
):
    ask(alice_client)
    request = latest()
    decide(dave_client, request, "approve")
    assert alice_client.post("/roles/prod-readonly/credentials/").status_code == 303

    with django_capture_on_commit_callbacks(execute=True):  # the AWS deny runs once the cancel commits
        decide(alice_client, request, "cancel")

    request.refresh_from_db()
    assert request.state == State.CANCELLED and request.denial == AccessRequest.Denial.APPLIED
    assert alice_client.post("/roles/prod-readonly/credentials/").status_code == 403


# --- the REST API -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_requests_lists_and_approves_as_the_person_behind_the_token(
    aws, cache_redis, eligible, alice, dave
):
    as_alice, as_dave = bearer(personal_token(alice)), bearer(personal_token(dave))
    created = api_request(as_alice, 1800, "deploy", ticket="CHG-7")
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("role", "requester", "state", "ticket", "approvals")} == {
        "role": "prod-readonly",
        "requester": "alice",
        "state": "pending",
        "ticket": "CHG-7",
        "approvals": [],
    }
    assert [r["id"] for r in as_dave.get("/api/v1/access-requests/").json()] == [body["id"]]

    approved = post(as_dave, f"/api/v1/access-requests/{body['id']}/approve", {"comment": "ok"})
    assert approved.status_code == 200 and approved.json()["state"] == "active"
    assert approved.json()["approvals"][0]["approver"] == "dave"
    session = post(as_alice, "/api/v1/sessions/", {"role": "prod-readonly"})
    assert session.status_code == 201 and ":assumed-role/ReadOnly/alice" in session.json()["Arn"]


@pytest.mark.django_db
def test_the_api_refuses_self_approval_and_denies_with_a_reason(eligible, alice, dave):
    as_alice, as_dave = bearer(personal_token(alice)), bearer(personal_token(dave))
    created = as_alice.post("/api/v1/access-requests/", {"role": "prod-readonly", "duration_seconds": 900,
                            "justification": "x"}, content_type="application/json").json()  # fmt: skip

    own = as_alice.post(
        f"/api/v1/access-requests/{created['id']}/approve", {}, content_type="application/json"
    )
    assert (own.status_code, own.json()["error"]) == (403, "not_allowed")
    denied = as_dave.post(f"/api/v1/access-requests/{created['id']}/deny", {"comment": "not today"},
                          content_type="application/json")  # fmt: skip
    assert denied.status_code == 200 and denied.json()["state"] == "denied"
    late = as_dave.post(
        f"/api/v1/access-requests/{created['id']}/approve", {}, content_type="application/json"
    )
    assert (late.status_code, late.json()["error"]) == (409, "invalid_state")


@pytest.mark.django_db
def test_the_api_refuses_a_missing_justification_and_a_long_duration(eligible, alice):
    as_alice = bearer(personal_token(alice))

    missing = api_request(as_alice, justification="")
    long = api_request(as_alice, 7201)

    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    assert "justification is required" in missing.json()["detail"]
    assert (long.status_code, long.json()["error"]) == (400, "invalid_duration")


@pytest.mark.django_db
def test_a_token_cannot_approve_for_a_person_with_mfa(eligible, alice, dave):
    from tests.conftest import totp_device

    totp_device(dave)
    created = api_request(bearer(personal_token(alice))).json()

    answer = post(bearer(personal_token(dave)), f"/api/v1/access-requests/{created['id']}/approve")
    assert (answer.status_code, answer.json()["error"]) == (403, "mfa_required")


@pytest.mark.django_db
def test_an_api_client_may_not_request_and_sees_no_requests(eligible, billing_token, alice_client):
    ask(alice_client)
    client = bearer(billing_token)

    assert client.get("/api/v1/access-requests/").json() == []
    answer = api_request(client)
    assert answer.status_code == 403


@pytest.mark.django_db
def test_the_access_request_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    documented = {"/api/v1/access-requests/", "/api/v1/access-requests/{id}/approve"}
    assert documented | {"/api/v1/access-requests/{id}/deny"} <= set(paths)
    assert "post" in paths["/api/v1/access-requests/"] and "get" in paths["/api/v1/access-requests/"]
