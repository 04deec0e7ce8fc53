"""Start, find and end CLI sessions: the one place that writes ``CliSession`` rows.

A session starts when a person approves the CLI in the browser, is claimed
by the first token exchange (so one approval yields one token family), and
ends when the person signs out (``awsbroker logout``, or *Revoke* on the
tokens page), when an admin pulls the kill switch, when a refresh token is
replayed, or at ``ends_at``. Ending one revokes every token of its family
at once; each end is audited, with no token in the row.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from broker import audit
from broker.cliauth.models import CliSession


def start(*, user: Any, flow: str, grant: Any = None, device_grant: Any = None) -> CliSession:
    """Record an approval; the MFA state is that of the approving browser session."""
    _, source_ip = audit.current_actor.get()
    mfa = bool(getattr(user, "mfa_factor", ""))
    session = CliSession.objects.create(
        user=user,
        flow=flow,
        mfa=mfa,
        grant=grant,
        device_grant=device_grant,
        source_ip=source_ip,
        ends_at=timezone.now() + timedelta(seconds=settings.BROKER_CLI_SESSION_SECONDS),
    )
    audit.record(
        "cli.approved",
        actor=user.get_username(),
        source_ip=source_ip,
        method=flow,
        session=session.label,
        mfa=mfa,
    )
    return session


def awaiting(**approval: Any) -> CliSession | None:
    """The unclaimed, live session behind an approval (an authorization code or a device grant)."""
    found = CliSession.objects.select_related("user").filter(token_family__isnull=True, **approval).first()
    return found if found is not None and found.live() else None


def claim(session: CliSession) -> bool:
    """Tie the session to a new token family; false if another exchange got there first."""
    family = uuid.uuid4()
    claimed = CliSession.objects.filter(pk=session.pk, token_family__isnull=True).update(token_family=family)
    session.token_family = family
    return claimed == 1


def for_family(family: uuid.UUID | None) -> CliSession | None:
    if family is None:
        return None
    return CliSession.objects.select_related("user").filter(token_family=family).first()


def _checksum(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def family_of_access_token(access_token: Any) -> uuid.UUID | None:
    refresh = get_refresh_token_model().objects.filter(access_token=access_token).only("token_family").first()
    return refresh.token_family if refresh else None


def for_token(raw: str) -> CliSession | None:
    """The session a raw access or refresh token belongs to (revoked members included)."""
    checksum = _checksum(raw)
    refresh = get_refresh_token_model().objects.filter(token_checksum=checksum).only("token_family").first()
    if refresh is not None:
        return for_family(refresh.token_family)
    access = get_access_token_model().objects.filter(token_checksum=checksum).first()
    return for_family(family_of_access_token(access)) if access else None


def end(session: CliSession, *, actor: str, reason: str, source_ip: str | None = None) -> bool:
    """Revoke every token of the session's family and mark it ended; false if it had ended already."""
    with transaction.atomic():
        if session.token_family is not None:
            get_refresh_token_model().revoke_family(session.token_family)
        ended = CliSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=reason[:40]
        )
    if ended:
        audit.record(
            "cli.ended",
            actor=actor,
            source_ip=source_ip,
            user=session.user.get_username(),
            session=session.label,
            reason=reason,
        )
    return bool(ended)


def note_refused_refresh(raw: str) -> None:
    """A refused refresh token that belongs to a live session was replayed: end that session.

    The library has already revoked the token family (reuse detection); this
    marks the session so the tokens page and the trail say what happened.
    """
    rows = get_refresh_token_model().objects.filter(token_checksum=_checksum(raw), revoked__isnull=False)
    replayed = rows.only("token_family").first()
    session = for_family(replayed.token_family) if replayed else None
    if session is not None and session.revoked_at is None:
        end(session, actor=session.user.get_username(), reason="refresh token reused")


def live_for(user: Any) -> QuerySet[CliSession]:
    """A person's (or a user id's) sessions that have tokens and have not ended, newest first."""
    now = timezone.now()
    return CliSession.objects.filter(
        user=user, revoked_at__isnull=True, token_family__isnull=False, ends_at__gt=now
    ).order_by("-created_at")


def end_all_for(user: Any, *, actor: str, reason: str, source_ip: str | None = None) -> int:
    """The kill switch's step: every live session of ``user`` ends now."""
    open_sessions = CliSession.objects.filter(user=user, revoked_at__isnull=True).select_related("user")
    return sum(end(session, actor=actor, reason=reason, source_ip=source_ip) for session in open_sessions)


def touch(session: CliSession) -> None:
    now = timezone.now()
    if session.last_used_at is None or session.last_used_at < now - timedelta(minutes=1):
        CliSession.objects.filter(pk=session.pk).update(last_used_at=now)
