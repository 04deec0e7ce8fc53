"""The access decision as a truth table: who may use which role, on what terms."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from broker.principal import Principal
from federation.access import (
    DurationOutOfRange,
    MfaRequired,
    RoleNotAvailable,
    access_role,
    entitlements,
)
from federation.models import Grant, Role

ROLES = {"prod-developer", "prod-readonly", "prod-s3-reader", "sandbox-admin", "prod-keyless"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        (set(), set()),
        ({"developers"}, {"prod-developer", "sandbox-admin", "prod-s3-reader", "prod-keyless"}),
        ({"auditors"}, {"prod-readonly", "prod-developer"}),
        ({"developers", "auditors"}, ROLES),
        ({"Developers"}, set()),  # group names are exact
        ({"unknown"}, set()),
    ],
)
def test_roles_follow_group_grants(grants, groups, expected):
    principal = Principal("someone", frozenset(groups))

    assert {e.role.alias for e in entitlements(principal)} == expected
    for alias in ROLES - expected:
        with pytest.raises(RoleNotAvailable):
            access_role(principal, alias)


@pytest.mark.django_db
def test_a_missing_role_and_an_ungranted_one_raise_the_same_error(grants):
    principal = Principal("bob", frozenset({"auditors"}))
    with pytest.raises(RoleNotAvailable) as missing:
        access_role(principal, "nope")
    with pytest.raises(RoleNotAvailable) as ungranted:
        access_role(principal, "sandbox-admin")
    assert str(missing.value).replace("nope", "X") == str(ungranted.value).replace("sandbox-admin", "X")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("groups", "default", "scoped"),
    [
        ({"developers"}, 14400, False),
        ({"auditors"}, 3600, True),
        ({"developers", "auditors"}, 14400, False),  # the broadest grant wins
    ],
)
def test_terms_come_from_the_grants(grants, groups, default, scoped):
    entitlement = access_role(Principal("x", frozenset(groups)), "prod-developer")
    assert entitlement.default_seconds == default
    assert entitlement.max_seconds == 43200
    assert (entitlement.session_policy is not None) is scoped


@pytest.mark.django_db
def test_two_scoped_grants_union_their_statements(grants):
    grant = Grant.objects.get(group__name="auditors", role__alias="prod-developer")
    other = Grant.objects.create(
        group=grant.group.__class__.objects.create(name="s3-people"),
        role=grant.role,
        session_policy={"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:List*"}},
    )
    entitlement = access_role(Principal("x", frozenset({"auditors", other.group.name})), "prod-developer")
    actions = [s["Action"] for s in entitlement.session_policy["Statement"]]
    assert actions == [["cloudtrail:LookupEvents"], "s3:List*"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("requested", "cap", "expected"),
    [
        (None, None, 14400),
        (None, 3600, 3600),
        (900, None, 900),
        (43200, None, 43200),
        (43201, None, DurationOutOfRange),
        (899, None, DurationOutOfRange),
        (7200, 3600, DurationOutOfRange),
    ],
)
def test_durations_are_bounded_by_the_role_and_chaining(grants, requested, cap, expected):
    entitlement = access_role(Principal("x", frozenset({"developers"})), "prod-developer")
    if expected is DurationOutOfRange:
        with pytest.raises(DurationOutOfRange):
            entitlement.duration(requested, cap=cap)
    else:
        assert entitlement.duration(requested, cap=cap) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("grants_require_mfa", "kind", "factor", "allowed"),
    [
        (("",), "user", "", True),
        (("any",), "user", "", False),
        (("any",), "user", "totp", True),
        (("any",), "user", "idp", True),
        (("any",), "user", "recovery", True),
        (("any",), "user", "webauthn", True),
        (("any",), "api", "", True),  # a machine client's token is its credential
        (("any", ""), "user", "", True),  # the broadest grant wins, as for policies
        (("any", "any"), "user", "", False),
        (("webauthn",), "user", "webauthn", True),
        (("webauthn",), "user", "totp", False),  # phishable: not enough
        (("webauthn",), "user", "recovery", False),
        (("webauthn",), "user", "idp", False),  # the IdP's MFA may be a phishable code
        (("webauthn",), "user", "", False),
        (("webauthn",), "api", "", True),
        (("webauthn", "any"), "user", "totp", True),  # the weakest requirement among the grants
        (("webauthn", ""), "user", "", True),
    ],
)
def test_a_role_needs_mfa_only_when_every_grant_giving_it_asks(
    grants, grants_require_mfa, kind, factor, allowed
):
    groups = [f"g{index}" for index in range(len(grants_require_mfa))]
    for group, required in zip(groups, grants_require_mfa, strict=True):
        role = Role.objects.get(alias="prod-readonly")
        Grant.objects.create(group=Group.objects.create(name=group), role=role, require_mfa=required)
    principal = Principal("x", frozenset(groups), kind=kind, mfa=bool(factor), mfa_method=factor)

    if allowed:
        weakest = min(grants_require_mfa, key=["", "any", "webauthn"].index)
        assert access_role(principal, "prod-readonly").require_mfa == weakest
    else:
        with pytest.raises(MfaRequired) as refused:
            access_role(principal, "prod-readonly")
        assert refused.value.level == min(grants_require_mfa, key=["", "any", "webauthn"].index)
        assert str(refused.value).startswith("this role needs a")
    assert [e.role.alias for e in entitlements(principal)] == ["prod-readonly"]  # listed either way
