"""The REST API's view of a CLI access token: the person who signed in.

A ``brka_`` token is found by its SHA-256 checksum (the library stores only
that), must be unexpired, issued to the CLI client, and belong to a live
``CliSession``. The caller is then the person with their groups as they are
now (directory users are re-checked as for any sign-in) and the MFA state
their browser session had when they approved the CLI. Nothing is cached:
revoking the session or the user refuses the next request.
"""

from __future__ import annotations

import dataclasses
import hashlib

from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from broker.apitokens.tokens import Caller, TokenRefused
from broker.cliauth import config, sessions
from broker.principal import principal_for

EXPIRED = "the sign-in has expired or was revoked; run `awsbroker login`"


def looks_like(raw: str) -> bool:
    return raw.startswith(config.ACCESS_PREFIX)


def _refuse() -> TokenRefused:
    """Refusals are counted and audited per address by ``broker.apitokens.failures`` (the API's
    authentication class); the token is named by its kind only (``brka_``), never by its value."""
    refused = TokenRefused(EXPIRED)
    refused.token = config.ACCESS_PREFIX
    return refused


def _as_caller(session: sessions.CliSession) -> Caller:
    principal = dataclasses.replace(principal_for(session.user), mfa=session.mfa)
    return Caller(
        subject=f"user:{session.user_id}", principal=principal, token_lookup="", token_name=session.label
    )


def subject_caller(user_id: int) -> Caller | None:
    """The person behind a live CLI session, for the refresh worker (``apitokens.tokens.subject_caller``)."""
    session = sessions.live_for(user_id).select_related("user").first()
    return _as_caller(session) if session is not None and session.user.is_active else None


def verify(raw: str, *, source_ip: str | None) -> Caller:
    checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    token = (
        get_access_token_model()
        .objects.select_related("user", "application")
        .filter(token_checksum=checksum)
        .first()
    )
    if token is None or token.expires <= timezone.now() or token.application.client_id != config.CLIENT_ID:
        raise _refuse()
    session = sessions.for_family(sessions.family_of_access_token(token))
    if session is None or not session.live():
        raise _refuse()
    sessions.touch(session)
    return _as_caller(session)
