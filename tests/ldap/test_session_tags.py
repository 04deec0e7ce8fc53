"""Directory attributes reach STS as session tags, within AWS's limits."""

from __future__ import annotations

import datetime

import pytest
from botocore.stub import ANY, Stubber
from django.core.exceptions import ValidationError

from broker.models import DirectoryProfile
from broker.principal import Principal
from federation import sts
from federation.grantsfile import dump, export, load
from federation.models import Role
from federation.tags import SessionTagError, check_mapping, session_tags
from tests.ldap.conftest import sign_in

pytestmark = pytest.mark.django_db
ASSUMED = {
    "Credentials": {
        "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
        "SecretAccessKey": "x" * 40,
        "SessionToken": "token",
        "Expiration": datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
    },
    "AssumedRoleUser": {
        "AssumedRoleId": "AROAEXAMPLE:alice",
        "Arn": "arn:aws:sts::123456789012:assumed-role/x/alice",
    },
}


def test_mapped_directory_attributes_are_sent_as_tags_on_assume_role(directory, aws, settings):
    settings.BROKER_ROLE_CHAINING = "false"
    Role.objects.filter(alias="prod-developer").update(
        session_tags={"Department": "departmentNumber", "Kind": "EMPLOYEETYPE", "Cost": "costCentre"}
    )
    client, _ = sign_in("alice", "alice-demo-pass")
    expected = {
        "RoleArn": "arn:aws:iam::123456789012:role/Developer",
        "RoleSessionName": "alice",
        "SourceIdentity": "alice",
        "DurationSeconds": ANY,
        # costCentre: alice has none, so no tag; attribute names ignore case
        "Tags": [{"Key": "Department", "Value": "platform"}, {"Key": "Kind", "Value": "engineering"}],
    }
    with Stubber(sts.client()) as stub:
        stub.add_response("assume_role", ASSUMED, expected)
        response = client.post("/roles/prod-developer/credentials/", follow=True)
        stub.assert_no_pending_responses()

    assert response.status_code == 200


def test_a_value_aws_would_refuse_stops_the_issuance_with_the_reason(directory, aws):
    Role.objects.filter(alias="prod-developer").update(session_tags={"Mail": "mail"})
    client, _ = sign_in("alice", "alice-demo-pass")
    DirectoryProfile.objects.filter(user__username="alice").update(
        attributes={"mail": "alice&co@example.com"}
    )

    response = client.post("/roles/prod-developer/credentials/")

    assert response.status_code == 400
    assert "session tag Mail" in response.content.decode()


def test_tag_values_are_checked_against_aws_limits():
    principal = Principal("dora", attributes={"ok": "Data Science:éa/b=c+d-e@f_g.h", "long": "x" * 257})

    assert session_tags({"T": "ok"}, principal) == {"T": "Data Science:éa/b=c+d-e@f_g.h"}
    assert session_tags({"T": "absent"}, principal) == {}
    with pytest.raises(SessionTagError, match="256"):
        session_tags({"T": "long"}, principal)


@pytest.mark.parametrize(
    "mapping",
    [
        {"aws:Team": "ou"},
        {"k" * 129: "ou"},
        {"Team!": "ou"},
        {"Team": "ou", "team": "cn"},
        {"Team": ""},
        {f"T{n}": "ou" for n in range(51)},
        ["Team"],
    ],
)
def test_a_mapping_aws_could_never_accept_is_refused(mapping):
    with pytest.raises(SessionTagError):
        check_mapping(mapping)


def test_the_role_admin_and_grants_file_refuse_a_bad_mapping_and_round_trip_a_good_one(grants):
    role = Role.objects.get(alias="prod-developer")
    role.session_tags = {"aws:x": "ou"}
    with pytest.raises(ValidationError, match="session_tags"):
        role.full_clean()

    Role.objects.filter(pk=role.pk).update(session_tags={"Department": "departmentNumber"})
    exported = dump(export())
    Role.objects.filter(pk=role.pk).update(session_tags={})
    load(exported)

    assert Role.objects.get(pk=role.pk).session_tags == {"Department": "departmentNumber"}
    assert "session_tags" in exported
