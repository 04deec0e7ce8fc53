"""Revocation, as far as AWS allows: the admin's role action and the per-user kill switch.

STS sessions cannot be cancelled. What can be done is done here, each step
audited on its own so the trail shows what worked and what did not:

- ``revoke_role_sessions``: attach ``AWSRevokeOlderSessions`` to the role
  (every session issued before now is refused by AWS from now on), forget the
  role's cached sessions so none is served or refreshed again. New sessions
  can be issued at once, to whoever still holds a grant.
- ``kill_switch``: deactivate the user, revoke their personal API tokens,
  forget their cached sessions, end their portal sessions and, optionally,
  deny their ``aws:SourceIdentity`` on every role they obtained credentials
  for (from the issuance ledger), which stops their live sessions in AWS.

A step that fails does not stop the next: a kill switch that cannot reach
IAM, or whose audit row cannot be written, still deactivates the user. Each
step's outcome is returned for the admin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.module_loading import import_string

from broker import audit
from broker.apitokens import tokens
from broker.apitokens.models import ApiToken
from federation import credcache, iam, sts
from federation.models import ASSUME_ROLE, Issuance, Role


@dataclass(frozen=True)
class Step:
    what: str
    ok: bool
    detail: str


def _purge(actor: str, source_ip: str | None, **match: Any) -> Step:
    try:
        purged = credcache.purge(**match)
    except credcache.CacheUnavailable as exc:
        audit.record(
            "cache.purged", actor=actor, source_ip=source_ip, outcome="error", error=str(exc), **match
        )
        return Step("cache", False, f"the credential cache could not be purged ({exc}); try again")
    audit.record("cache.purged", actor=actor, source_ip=source_ip, purged=purged, **match)
    return Step("cache", True, f"{purged} cached session(s) purged")


def revoke_role_sessions(*, role: Role, actor: str, source_ip: str | None = None) -> list[Step]:
    """Make AWS refuse every session of ``role`` issued before now; stop serving cached ones."""
    before = (timezone.now() + timedelta(seconds=1)).replace(microsecond=0)  # this second's sessions too
    fields = {"actor": actor, "source_ip": source_ip, "role_alias": role.alias, "method": role.method}

    def aws() -> Step:
        try:
            iam.revoke_older_sessions(role, before=before)
        except iam.RevocationError as exc:
            audit.record("role.revoked", outcome="error", error=str(exc), **fields)
            return Step("aws", False, str(exc))
        audit.record("role.revoked", policy=iam.REVOKE_POLICY_NAME, revoked_before=iam.iso(before), **fields)
        return Step("aws", True, f"{iam.REVOKE_POLICY_NAME} denies sessions issued before {iam.iso(before)}")

    return [
        *_unstoppable("aws", aws),
        *_unstoppable("cache", lambda: _purge(actor, source_ip, alias=role.alias)),
    ]


def _unstoppable(what: str, run: Callable[[], Step | list[Step]]) -> list[Step]:
    """A step whose audit row cannot be written is reported, and the next step still runs."""
    try:
        done = run()
    except audit.AuditUnavailable as exc:
        return [Step(what, False, f"{exc}; check this step and run the action again")]
    return done if isinstance(done, list) else [done]


def _deactivate(user: AbstractBaseUser, actor: str, source_ip: str | None) -> Step:
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    audit.record("user.deactivated", actor=actor, source_ip=source_ip, user=user.get_username())
    return Step("account", True, "deactivated")


def _revoke_tokens(user: AbstractBaseUser, actor: str) -> Step:
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    count = 0
    for token in live:
        tokens.revoke(token, actor=actor, reason="kill switch", user=user.get_username())
        count += 1
    return Step("tokens", True, f"{count} personal token(s) revoked")


def _end_portal_sessions(user: AbstractBaseUser, actor: str, source_ip: str | None) -> Step:
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    if not hasattr(store, "get_model_class"):
        detail = "the session engine cannot be listed; the inactive account is refused at its next request"
        return Step("portal", True, detail)
    model = store.get_model_class()
    mine = [
        row.session_key
        for row in model.objects.filter(expire_date__gt=timezone.now())
        if str(row.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    model.objects.filter(session_key__in=mine).delete()
    audit.record(
        "user.signed_out", actor=actor, source_ip=source_ip, user=user.get_username(), count=len(mine)
    )
    return Step("portal", True, f"{len(mine)} portal session(s) ended")


def roles_held(username: str) -> list[Role]:
    """Every AssumeRole role the user obtained credentials for, from the issuance ledger."""
    ids = Issuance.objects.filter(username=username, method=ASSUME_ROLE, role__isnull=False).values("role")
    return list(Role.objects.filter(pk__in=ids).select_related("account"))


def _deny_on_roles(user: AbstractBaseUser, actor: str, source_ip: str | None) -> list[Step]:
    name = sts.session_name(user.get_username())
    steps = []
    for role in roles_held(user.get_username()):
        fields = {"actor": actor, "source_ip": source_ip, "role_alias": role.alias, "method": role.method}
        try:
            policy = iam.deny_source_identity(role, session_name=name)
        except iam.RevocationError as exc:
            audit.record("role.denied_user", outcome="error", user=name, error=str(exc), **fields)
            steps.append(Step(f"aws {role.alias}", False, str(exc)))
            continue
        audit.record("role.denied_user", user=name, policy=policy, **fields)
        steps.append(Step(f"aws {role.alias}", True, f"{policy} denies aws:SourceIdentity {name}"))
    return steps


def kill_switch(
    *, user: AbstractBaseUser, actor: str, source_ip: str | None = None, deny_on_roles: bool = False
) -> list[Step]:
    """Stop everything ``user`` can still do through the broker, and optionally in AWS."""
    plan: list[tuple[str, Callable[[], Step | list[Step]]]] = [
        ("account", lambda: _deactivate(user, actor, source_ip)),
        ("tokens", lambda: _revoke_tokens(user, actor)),
        ("cache", lambda: _purge(actor, source_ip, subject=f"user:{user.pk}")),
        ("portal", lambda: _end_portal_sessions(user, actor, source_ip)),
    ]
    if deny_on_roles:
        plan.append(("aws", lambda: _deny_on_roles(user, actor, source_ip)))
    return [step for what, run in plan for step in _unstoppable(what, run)]
