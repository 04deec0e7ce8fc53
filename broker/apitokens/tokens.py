"""Mint, verify and revoke API tokens.

A token reads ``brk_<lookup>_<secret>``: the prefix lets secret scanners and
people recognise it, ``lookup`` finds the row with one indexed query, and
only ``HMAC(key, token)`` is stored, compared with ``hmac.compare_digest``.
The HMAC key is ``BROKER_API_TOKEN_KEY`` when set (so rotating
``SECRET_KEY`` does not void every token), else derived from ``SECRET_KEY``.

Nothing about a token's validity is cached: revoking a client or a token
refuses its next request.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from broker import audit
from broker.apitokens.models import ApiClient, ApiToken
from broker.prepared import PreparedQuery
from broker.principal import Principal, principal_for

PREFIX = "brk_"
_SHAPE = re.compile(r"^brk_(?P<lookup>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{40,64})$")
_TOUCH_EVERY = timedelta(minutes=1)


class TokenRefused(Exception):
    """The token does not authenticate (401) or may not be used from here (403)."""

    def __init__(self, detail: str, *, code: str = "invalid_token", status: int = 401) -> None:
        super().__init__(detail)
        self.code = code
        self.status = status
        self.token = ""  # the refused token's public prefix, set by ``verify``


@dataclass(frozen=True)
class Caller:
    """Whoever a verified token speaks for, as the API and the audit trail see it."""

    subject: str
    principal: Principal
    token_lookup: str
    client_name: str = ""
    max_session_seconds: int | None = None
    is_authenticated: bool = True

    @property
    def label(self) -> str:
        return self.client_name or self.principal.username


def digest(raw: str) -> str:
    key = settings.BROKER_API_TOKEN_KEY or settings.SECRET_KEY
    # The salt keeps the module's old name: changing it would void every stored token.
    return salted_hmac("broker.tokens", raw, secret=key, algorithm="sha256").hexdigest()


def mint(
    *, client: ApiClient | None = None, user: Any = None, label: str = "", expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token row and return it with the only copy of the secret."""
    lookup = secrets.token_hex(6)
    raw = f"{PREFIX}{lookup}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():  # no audit row, no token
        token = ApiToken.objects.create(
            lookup=lookup, digest=digest(raw), client=client, user=user, label=label, expires_at=expires_at
        )
        audit.record(
            "apitoken.created",
            actor=getattr(user, "username", "") or (client.principal_name if client else ""),
            token=f"{PREFIX}{lookup}",
            client=client.name if client else "",
            expires_at=expires_at.isoformat() if expires_at else None,
        )
    return token, raw


def revoke(token: ApiToken, *, actor: str = "", **detail: Any) -> None:
    """Revoke at once; the revocation stands even if its audit row then fails (and that error is raised)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("apitoken.revoked", actor=actor, token=f"{PREFIX}{token.lookup}", **detail)


# The token, its client and the client's group (or its user) in one read, compiled once per thread.
_BY_LOOKUP = PreparedQuery(
    lambda lookup: ApiToken.objects.filter(lookup=lookup).order_by(),
    [("", ApiToken), ("client", ApiClient), ("client__group", Group), ("user", get_user_model())],
)

# A client's unrevoked tokens, newest first, with the client and its group (the refresh worker).
_CLIENT_TOKENS = PreparedQuery(
    lambda client_id: ApiToken.objects.filter(client_id=client_id, revoked_at__isnull=True),
    [("", ApiToken), ("client", ApiClient), ("client__group", Group)],
)


def _find(raw: str) -> ApiToken:
    match = _SHAPE.match(raw)
    found = _BY_LOOKUP(match["lookup"]) if match else []
    token = found[0] if found else None
    if token is None or not hmac.compare_digest(token.digest, digest(raw)):
        raise TokenRefused("the token is not valid")
    return token


def _caller(token: ApiToken) -> Caller:
    client = token.client
    if client is not None:
        principal = Principal(
            username=client.principal_name, groups=frozenset({client.group.name}), kind="api"
        )
        return Caller(
            subject=client.subject,
            principal=principal,
            token_lookup=token.lookup,
            client_name=client.name,
            max_session_seconds=client.max_session_seconds,
        )
    return Caller(subject=token.subject, principal=principal_for(token.user), token_lookup=token.lookup)


def _check(token: ApiToken, source_ip: str | None) -> None:
    now = timezone.now()
    if not token.usable(now):
        raise TokenRefused("the token has expired or was revoked")
    if token.client is not None:
        if not token.client.usable(now):
            raise TokenRefused("the API client has expired or was revoked")
        if not token.client.allows_address(source_ip):
            raise TokenRefused(
                "this client may not be used from your address", code="address_not_allowed", status=403
            )
    elif not token.user.is_active:
        raise TokenRefused("the token's user is no longer active")


def public_prefix(raw: str) -> str:
    """The part of a token that may be shown and audited (``brk_<lookup>``), or ``""``."""
    match = _SHAPE.match(raw.strip())
    return f"{PREFIX}{match['lookup']}" if match else ""


def verify(raw: str, *, source_ip: str | None) -> Caller:
    """The caller behind ``raw``, or ``TokenRefused`` (its ``token`` the public prefix).

    Refusals are not audited here, one row each: ``broker.apitokens.failures``
    counts them per address and audits one event per window.
    """
    try:
        token = _find(raw.strip())
        _check(token, source_ip)
    except TokenRefused as refused:
        refused.token = public_prefix(raw)
        raise
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - _TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return _caller(token)


def subject_caller(subject: str) -> Caller | None:
    """Rebuild the caller for a cache subject (the refresh worker), or ``None`` if gone.

    Used where no token is at hand; a revoked client or an inactive user
    yields ``None`` so their sessions are not kept fresh.
    """
    kind, _, ident = subject.partition(":")
    if kind == "client":
        now = timezone.now()
        live = [token for token in _CLIENT_TOKENS(int(ident)) if token.usable(now)]
        return _caller(live[0]) if live and live[0].client.usable(now) else None
    if kind == "user":
        token = _live(ApiToken.objects.select_related("user").filter(user_id=ident, user__is_active=True))
        return _caller(token.first()) if token.exists() else None
    return None


def _live(tokens: Any) -> Any:
    now = timezone.now()
    return tokens.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
