"""The audit table refusing writes: nothing handed out, and the ledger never says more than the trail.

The console path used to commit its ledger row before writing its audit
event, so a refused audit insert left a ledger row with no event. Now both
are written in one transaction, after the sign-in endpoint answered.
"""

from __future__ import annotations

import pytest

from broker.models import AuditEvent
from federation.models import Issuance
from tests.conftest import free_port
from tests.test_audit_required import assert_withheld, audit_down, audit_table_refuses_inserts  # noqa: F401

CONSOLE = "/roles/prod-developer/console/"


@pytest.mark.django_db
def test_a_console_request_leaves_no_ledger_row_when_the_audit_insert_fails(aws, alice_client, audit_down):  # noqa: F811
    response = alice_client.post(CONSOLE)

    assert_withheld(response, "SigninToken")
    assert not Issuance.objects.exists()


@pytest.mark.django_db
def test_a_real_database_refusal_leaves_no_console_ledger_row(
    aws,
    alice_client,
    audit_table_refuses_inserts,  # noqa: F811
):
    response = alice_client.post(CONSOLE)

    assert_withheld(response, "SigninToken")
    assert not Issuance.objects.exists()


@pytest.mark.django_db
def test_an_api_console_url_leaves_no_ledger_row_when_the_audit_fails(api, audit_down):  # noqa: F811
    response = api.post("/api/v1/console-url/", {"role": "prod-developer"}, content_type="application/json")

    assert_withheld(response, "SigninToken")
    assert not Issuance.objects.exists()


@pytest.mark.django_db
def test_with_the_sign_in_endpoint_down_the_session_is_ledgered_with_its_failure(aws, alice_client, settings):
    settings.BROKER_SIGNIN_URL = f"http://127.0.0.1:{free_port()}/federation"

    response = alice_client.post(CONSOLE)

    assert response.status_code == 503 and response["Retry-After"]
    issuance = Issuance.objects.get()
    event = AuditEvent.objects.get(action="console.url")
    assert (event.outcome, event.access_key_id) == ("error", issuance.access_key_id)


@pytest.mark.django_db
def test_with_the_sign_in_endpoint_and_the_audit_down_neither_row_is_left(
    aws,
    alice_client,
    settings,
    audit_down,  # noqa: F811
):
    settings.BROKER_SIGNIN_URL = f"http://127.0.0.1:{free_port()}/federation"

    response = alice_client.post(CONSOLE)

    assert response.status_code == 503
    assert not Issuance.objects.exists()


@pytest.mark.django_db
def test_cli_credentials_keep_their_ledger_and_audit_rows_together(aws, alice_client, audit_down):  # noqa: F811
    """The case that already held, for the portal's CLI page."""
    response = alice_client.post("/roles/prod-developer/credentials/")

    assert_withheld(response, "AWS_SECRET_ACCESS_KEY")
    assert not Issuance.objects.exists()
