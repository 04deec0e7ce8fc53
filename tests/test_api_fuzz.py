"""schemathesis against /api/schema/: generated requests, with a valid token, find no 5xx.

A bounded run here (``make test``); ``make fuzz`` runs the same test with many
more examples per operation (``BROKER_FUZZ_EXAMPLES``). Requests go through
the WSGI app in this process, with moto and Redis behind it as in the other
API tests. Checks: no server error, status codes, content types, headers
and bodies as the document declares them, and schema-invalid requests refused.
Not checked: that every schema-valid request is accepted, since business rules
the document cannot express (a role's maximum duration, the console
destinations allowed here, IAM policy grammar) rightly answer 400.

Each operation is driven by its own Hypothesis strategy (``as_strategy``)
rather than ``schemathesis.pytest.from_fixture``, whose test items do not
work under pytest 9: schema-valid requests, the same steered to roles that
exist (so the issuing path, moto included, is fuzzed too, not only the 403
for an unknown alias), and schema-invalid ones.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

EXAMPLES = int(os.environ.get("BROKER_FUZZ_EXAMPLES", "25"))
OPERATIONS = ["list_roles", "create_session", "role_credentials", "create_console_url"]
KNOWN_ROLES = ["prod-developer", "prod-s3-reader", "prod-readonly"]  # billing holds the first two


@pytest.fixture
def api_schema(api, settings):  # type: ignore[no-untyped-def]
    settings.BROKER_API_RATE = "100000/minute"  # the fuzzer, not the rate limit, is under test
    # Like Django's test client: a request ending must not close the test's database
    # connection (on PostgreSQL that would end the test's transaction mid-test).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def operation(schema, operation_id: str):  # type: ignore[no-untyped-def]
    for result in schema.get_all_operations():
        found = result.ok()
        if found.definition.raw.get("operationId") == operation_id:
            return found
    raise AssertionError(f"{operation_id} is not in the document")


def steer(case, alias: str):  # type: ignore[no-untyped-def]
    """The same request for a role that exists."""
    if isinstance(case.body, dict) and "role" in case.body:
        case.body["role"] = alias
    if case.path_parameters and "alias" in case.path_parameters:
        case.path_parameters["alias"] = alias
    return case


def cases(found):  # type: ignore[no-untyped-def]
    positive = found.as_strategy(GenerationMode.POSITIVE)
    return st.one_of(
        positive,
        st.builds(steer, positive, st.sampled_from(KNOWN_ROLES)),
        found.as_strategy(GenerationMode.NEGATIVE),
    )


@pytest.fixture(autouse=True)
def failures_not_limited(settings):  # type: ignore[no-untyped-def]
    """The fuzzer sends bad tokens on purpose; the per-address limit has its own tests (tests/faults)."""
    settings.BROKER_API_AUTH_FAILURES = "1000000/minute"


@pytest.mark.django_db
@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_generated_requests_get_no_server_error(api_schema, billing_token, operation_id):
    headers = {"Authorization": f"Bearer {billing_token}"}

    @given(cases(operation(api_schema, operation_id)))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize="BROKER_FUZZ_EXAMPLES" not in os.environ,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def call(case):  # type: ignore[no-untyped-def]
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    call()
