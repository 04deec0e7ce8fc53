"""CLI credentials held briefly in the person's session, sealed, so the page survives a reload.

The credentials page is POST-redirect-GET: the POST issues one session (one
ledger row, one audit event) and keeps it here; the GET shows what is held.
A reload, a back button or a second tab shows the same set instead of
silently issuing a new one, and a bare GET of the URL shows a page that
offers to issue rather than a blank 405.

Failure modes: the value lives in the session row (database) only as
AES-GCM ciphertext bound to the user and role (``broker.sealing``), for
``HOLD_SECONDS`` or until the session ends, whichever is first. A value that
no longer opens (a rotated key, a tampered row) or has passed its time is
dropped and the page offers to issue again; nothing is ever shown twice to
another person, since sessions are per person.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from broker import sealing
from federation.sts import Credentials

SESSION_KEY = "held_cli_credentials"
HOLD_SECONDS = 600


def _aad(user_pk: Any, alias: str) -> bytes:
    return f"held-cli-credentials:{user_pk}:{alias}".encode()


def hold(session: SessionBase, *, user_pk: Any, alias: str, credentials: Credentials, duration: int) -> None:
    """Keep ``credentials`` for ``alias`` in ``session`` (replacing any earlier set for it)."""
    body = {
        "access_key_id": credentials.access_key_id,
        "secret_access_key": credentials.secret_access_key,
        "session_token": credentials.session_token,
        "expiration": credentials.expiration.isoformat(),
        "arn": credentials.arn,
        "method": credentials.method,
        "duration": duration,
    }
    sealed = sealing.seal(json.dumps(body).encode(), aad=_aad(user_pk, alias))
    now = time.time()
    held = {k: v for k, v in session.get(SESSION_KEY, {}).items() if v.get("until", 0) > now}
    held[alias] = {"sealed": base64.b64encode(sealed).decode(), "until": now + HOLD_SECONDS}
    session[SESSION_KEY] = held


def held(session: SessionBase, *, user_pk: Any, alias: str) -> tuple[Credentials, int] | None:
    """The credentials held for ``alias`` and their duration, or ``None`` (never held, gone or unreadable)."""
    entry = session.get(SESSION_KEY, {}).get(alias)
    if not entry:
        return None
    try:
        if entry["until"] <= time.time():
            raise sealing.SealError("the hold has ended")
        body = json.loads(sealing.unseal(base64.b64decode(entry["sealed"]), aad=_aad(user_pk, alias)))
    except (sealing.SealError, KeyError, ValueError, TypeError):
        forget(session, alias=alias)
        return None
    credentials = Credentials(
        access_key_id=body["access_key_id"],
        secret_access_key=body["secret_access_key"],
        session_token=body["session_token"],
        expiration=datetime.fromisoformat(body["expiration"]),
        arn=body["arn"],
        method=body["method"],
    )
    return credentials, int(body["duration"])


def forget(session: SessionBase, *, alias: str) -> None:
    remaining = {k: v for k, v in session.get(SESSION_KEY, {}).items() if k != alias}
    session[SESSION_KEY] = remaining
