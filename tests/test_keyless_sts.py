"""The exact AssumeRoleWithSAML request (botocore Stubber), its error mapping, and that it is unsigned."""

from __future__ import annotations

import base64
import html
import json

import pytest
from botocore.stub import ANY, Stubber

from federation import sts
from tests.apifixtures import bearer, create_client
from tests.test_sts_requests import assumed

PROVIDER = "arn:aws:iam::123456789012:saml-provider/aws-identity-broker"
ROLE = "arn:aws:iam::123456789012:role/Keyless"


@pytest.fixture
def saml_stub(keyless):  # type: ignore[no-untyped-def]
    with sts._CLIENT_LOCK:
        client = sts.unsigned_client()
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


class Assertion:
    """Matches a SAMLAssertion parameter that is the broker's base64 Response for ``session``."""

    def __init__(self, session: str) -> None:
        self.session = session

    def __eq__(self, other: object) -> bool:
        xml = base64.b64decode(str(other)).decode()
        return f"<saml:AttributeValue>{ROLE},{PROVIDER}</saml:AttributeValue>" in xml and (
            f'RoleSessionName"><saml:AttributeValue>{self.session}<' in xml
        )


class SameJson:
    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return json.loads(str(other)) == self.value


@pytest.mark.django_db
def test_the_request_names_the_role_the_provider_and_the_full_duration(saml_stub, alice_client):
    saml_stub.add_response(
        "assume_role_with_saml",
        assumed("Keyless", "alice"),
        {
            "RoleArn": ROLE,
            "PrincipalArn": PROVIDER,
            "SAMLAssertion": Assertion("alice"),
            "DurationSeconds": 43200,
        },
    )
    response = alice_client.post("/roles/prod-keyless/credentials/", {"duration": "43200"}, follow=True)
    assert response.status_code == 200  # 12 h: saml sessions are not chained, so never capped at 1 h


@pytest.mark.django_db
def test_a_caller_s_narrowing_policy_is_sent(saml_stub, cache_redis, alice):
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    saml_stub.add_response(
        "assume_role_with_saml",
        assumed("Keyless", "keyless-app"),
        {
            "RoleArn": ROLE,
            "PrincipalArn": PROVIDER,
            "SAMLAssertion": ANY,
            "DurationSeconds": 900,
            "Policy": SameJson(policy),
        },
    )
    api = bearer(create_client("keyless-app", "prod-keyless"))
    answer = api.post(
        "/api/v1/sessions/",
        {"role": "prod-keyless", "duration_seconds": 900, "policy": json.dumps(policy)},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content


AWS_ERRORS = [
    ("IDPRejectedClaim", 403, "trust policy does not accept the broker's SAML provider"),
    ("InvalidIdentityToken", 403, "does not hold the broker's signing certificate"),
    ("ExpiredToken", 403, "ExpiredToken"),
    ("MalformedPolicyDocument", 400, "MalformedPolicyDocument"),
    ("IDPCommunicationError", 503, "not available right now"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "status", "text"), AWS_ERRORS, ids=[e[0] for e in AWS_ERRORS])
def test_aws_refusals_become_clear_answers(saml_stub, alice_client, code, status, text):
    http = {403: 403, 400: 400, 503: 503}[status]
    saml_stub.add_client_error("assume_role_with_saml", code, "AWS said no", http_status_code=http)
    response = alice_client.post("/roles/prod-keyless/credentials/")
    assert response.status_code == status
    assert text in html.unescape(response.content.decode())


@pytest.mark.django_db
def test_the_call_carries_no_credentials(keyless, alice_client):
    """Against moto for real: the request leaves with no Authorization and no security token."""
    seen: list[dict[str, str]] = []
    with sts._CLIENT_LOCK:
        client = sts.unsigned_client()
    client.meta.events.register(
        "before-send.sts.AssumeRoleWithSAML", lambda request, **_: seen.append(dict(request.headers))
    )
    assert alice_client.post("/roles/prod-keyless/credentials/", follow=True).status_code == 200
    assert len(seen) == 1
    assert not {"Authorization", "X-Amz-Security-Token"} & set(seen[0])
