"""The role-chaining cap, decided without STS on the hot path.

AWS caps an ``AssumeRole`` session at one hour when the broker's own
credentials are themselves a role session. Every access decision needs to
know whether that cap applies: it bounds the session's length, and the
length is part of the credential cache's key. Asking STS on each request
turned an STS outage into 503s even for cached sessions, in every process
started during the outage (a deploy, a scale-out, a respawned worker).

``BROKER_ROLE_CHAINING`` decides, in this order:

1. ``true`` or ``false``: configuration; STS is never asked. The setting to
   use in production when the answer is known.
2. ``auto``: the answer this process already has (a dictionary read).
3. ``auto``, once per process (at start-up from gunicorn's
   ``post_worker_init``, else on first need): ``GetCallerIdentity`` with the
   STS client's bounded retries (``BROKER_STS_MAX_ATTEMPTS``, its timeouts).
   The answer is kept in the process and in Redis (``<prefix>chaining``,
   written again once a day while the process runs, kept 30 days).
4. When STS cannot be asked: the answer a process learned earlier, from
   Redis, so a process started during an outage computes the same session
   lengths (and cache keys) as those before it and serves their cached
   sessions.
5. When nothing answers: capped at 3600 s, the safe side (a chained broker
   asking for more would be refused by AWS), logged once.

After 4 or 5 the question is asked again in a background thread at most
every ``RETRY_SECONDS``, never on a request's own time.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings

from broker.redisconn import client
from federation import sts
from federation.models import CHAINED_SESSION_SECONDS

log = logging.getLogger(__name__)

RETRY_SECONDS = 60
REMEMBER_SECONDS = 30 * 24 * 3600  # Redis keeps an answer this long after a process last confirmed it
REMIND_SECONDS = 24 * 3600  # a process that knows the answer from STS writes it again this often


@dataclass
class _State:
    chained: bool | None = None  # None: not decided yet in this process
    confirmed: bool = False  # True once STS itself answered this process
    next_try: float = 0.0
    warned: bool = False
    asking: bool = False  # a background thread is asking STS
    remembered_at: float = 0.0  # when this process last wrote its confirmed answer to Redis


_state = _State()
_lock = threading.Lock()


def _key() -> str:
    return f"{settings.BROKER_CACHE_PREFIX}chaining"


def _remembered() -> bool | None:
    try:
        value = client().get(_key())
    except redis.RedisError:
        return None
    return None if value is None else value == b"1"


def _remember(chained: bool) -> None:
    try:
        client().set(_key(), b"1" if chained else b"0", ex=REMEMBER_SECONDS)
    except redis.RedisError as exc:
        log.info("role chaining: could not remember the answer in Redis (%s)", type(exc).__name__)


def _ask_sts() -> bool | None:
    try:
        chained = sts.broker_is_role_session()
    except sts.StsError:
        return None
    _remember(chained)
    _state.remembered_at = time.monotonic()
    return chained


def _remind() -> None:
    """Keep the answer in Redis alive while a process that confirmed it runs (once a day)."""
    if _state.chained is not None and time.monotonic() - _state.remembered_at > REMIND_SECONDS:
        _state.remembered_at = time.monotonic()
        _remember(_state.chained)


def _settle() -> bool:
    """Decide for this process (under the lock): STS, else Redis, else the safe cap."""
    chained = _ask_sts()
    if chained is not None:
        _state.chained, _state.confirmed = chained, True
        return chained
    remembered = _remembered()
    _state.chained = True if remembered is None else remembered
    _state.next_try = time.monotonic() + RETRY_SECONDS
    if not _state.warned:
        _state.warned = True
        if remembered is None:
            log.warning(
                "role chaining unknown (STS unreachable, no earlier answer); sessions capped at %s s "
                "until STS answers. Set BROKER_ROLE_CHAINING=true|false to decide it without STS.",
                CHAINED_SESSION_SECONDS,
            )
        else:
            log.warning("STS unreachable; role chaining taken from an earlier answer (%s)", remembered)
    return _state.chained


def _ask_again() -> None:
    try:
        chained = _ask_sts()
        with _lock:
            if chained is not None:
                if chained != _state.chained:
                    log.warning("role chaining is now known from STS: %s", chained)
                _state.chained, _state.confirmed = chained, True
            else:
                _state.next_try = time.monotonic() + RETRY_SECONDS
    finally:
        _state.asking = False


def _maybe_ask_again() -> None:
    """Start one background question once ``RETRY_SECONDS`` have passed; never wait for it."""
    with _lock:
        if _state.confirmed or _state.asking or time.monotonic() < _state.next_try:
            return
        _state.asking = True
    threading.Thread(target=_ask_again, name="role-chaining", daemon=True).start()


def chained() -> bool:
    """Whether AWS caps the broker's AssumeRole sessions at one hour."""
    mode = settings.BROKER_ROLE_CHAINING
    if mode in ("true", "false"):
        return mode == "true"
    answer = _state.chained
    if answer is None:
        with _lock:
            answer = _state.chained if _state.chained is not None else _settle()
    if _state.confirmed:
        _remind()
    else:
        _maybe_ask_again()
    return answer


def cap() -> int | None:
    """AWS's cap on the broker's AssumeRole sessions; ``None`` when there is none."""
    return CHAINED_SESSION_SECONDS if chained() else None


def settle_in_background() -> None:
    """Learn the answer now, off any request (gunicorn's ``post_worker_init``)."""
    if settings.BROKER_ROLE_CHAINING == "auto":
        threading.Thread(target=chained, name="role-chaining", daemon=True).start()


def reset() -> None:
    """Forget what this process learned (tests, or after the broker's credentials change)."""
    global _state
    with _lock:
        _state = _State()
