"""Prepared reads answer exactly what the ORM answers, and read the database every time."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from broker.apitokens import tokens
from broker.apitokens.models import ApiClient, ApiToken
from broker.prepared import PreparedQuery
from federation.access import RoleNotAvailable, access_role
from federation.models import AwsAccount, Grant, Role

GRANTS = PreparedQuery(
    lambda groups, alias: Grant.objects.filter(group__name__in=groups, role__alias=alias),
    [("", Grant), ("role", Role), ("role__account", AwsAccount)],
)


@pytest.mark.django_db
def test_a_prepared_read_builds_the_same_linked_instances_as_select_related(billing_token):
    lookup = billing_token.split("_")[1]
    mine = tokens._BY_LOOKUP(lookup)[0]
    orm = ApiToken.objects.select_related("client", "client__group").get(lookup=lookup)

    assert [getattr(mine, f.attname) for f in ApiToken._meta.concrete_fields] == [
        getattr(orm, f.attname) for f in ApiToken._meta.concrete_fields
    ]
    assert mine.client.allowed_networks == orm.client.allowed_networks  # JSON decoded
    assert mine.client.group.name == "api:billing"
    assert mine.user is None  # a client's token has no user


@pytest.mark.django_db
def test_it_takes_many_values_for_in_and_nothing_for_an_empty_list(grants):
    groups = tuple(Grant.objects.values_list("group__name", flat=True).distinct())
    alias = Grant.objects.first().role.alias
    expected = list(Grant.objects.filter(group__name__in=groups, role__alias=alias))

    assert [grant.pk for grant in GRANTS(groups, alias)] == [grant.pk for grant in expected]
    assert GRANTS((), alias) == []
    assert GRANTS(groups, "no-such-role") == []


@pytest.mark.django_db
def test_nothing_is_cached_but_sql_a_removed_grant_is_gone_at_once(billing):
    principal = tokens.subject_caller(billing.subject).principal
    assert access_role(principal, "prod-developer")
    Grant.objects.filter(group=Group.objects.get(name="api:billing"), role__alias="prod-developer").delete()

    with pytest.raises(RoleNotAvailable):
        access_role(principal, "prod-developer")


@pytest.mark.django_db
def test_a_revoked_client_is_refused_on_its_next_request(billing_token, billing):
    assert tokens.verify(billing_token, source_ip=None)
    ApiClient.objects.filter(pk=billing.pk).update(is_active=False)

    with pytest.raises(tokens.TokenRefused):
        tokens.verify(billing_token, source_ip=None)
    assert tokens.subject_caller(billing.subject) is None


def test_it_refuses_parameters_it_cannot_find_again():
    contains = PreparedQuery(lambda name: Group.objects.filter(name__contains=name), [("", Group)])
    with pytest.raises(ValueError, match="markers"):
        contains("api")


def _columns(row: object) -> dict[str, object]:
    return {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields if f.attname != "id"}


@pytest.mark.django_db
def test_a_prepared_insert_writes_the_row_save_would(grants):
    from django.db import connection
    from django.utils import timezone

    from broker.models import AuditEvent
    from broker.prepared import PreparedInsert
    from federation.models import Issuance

    now = timezone.now()
    event = {
        "created_at": now,
        "action": "credentials.delivered",
        "actor": "api:billing",
        "source_ip": "2001:db8::1",
        "role_alias": "prod-developer",
        "method": "assume_role",
        "access_key_id": "ASIAEXAMPLE",
        "outcome": "ok",
        "detail": {"client": "billing", "nested": {"format": "container"}, "n": 3},
    }
    PreparedInsert(AuditEvent, list(event))(connection, event)
    orm = AuditEvent.objects.create(**event)
    role = Role.objects.first()
    ledger = {
        "username": "alice",
        "role": role.pk,
        "role_alias": role.alias,
        "method": role.method,
        "purpose": "api",
        "access_key_id": "ASIAEXAMPLE",
        "issued_at": now,
        "expires_at": now,
        "source_ip": None,
    }
    PreparedInsert(Issuance, list(ledger))(connection, ledger)

    ours = AuditEvent.objects.filter(access_key_id="ASIAEXAMPLE")
    mine, theirs = ours.exclude(pk=orm.pk).get(), ours.get(pk=orm.pk)
    assert mine.created_at == now  # the caller's time: auto_now_add is the caller's to fill
    assert _columns(mine) | {"created_at": None} == _columns(theirs) | {"created_at": None}
    assert mine.detail["nested"] == {"format": "container"} and mine.source_ip == "2001:db8::1"
    written = Issuance.objects.get(access_key_id="ASIAEXAMPLE")
    assert (written.role, written.username, written.issued_at) == (role, "alice", now)
    assert written.source_ip is None
