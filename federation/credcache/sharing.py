"""Single flight: N concurrent misses for one session make one STS call and share its outcome.

The caller that takes the key's lock (``claims``) produces and stores the
session; the others poll for the value it leaves, or for the short-lived
note of its STS failure (``fail:<id>``, ``FAILURE_SECONDS``), which they
raise as their own (``SharedFailure``) instead of each asking STS again. A
waiter that outlasts its ``wait``, or finds the lock freed with nothing left,
stops waiting.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from broker.redisconn import client
from federation import sts
from federation.credcache.claims import acquire, release
from federation.credcache.entries import Entry
from federation.credcache.errors import SharedFailure, guard
from federation.credcache.keys import key
from federation.credcache.sealed import open_value
from federation.credcache.spec import SessionSpec
from federation.credcache.storage import peek

FAILURE_SECONDS = 2
POLL_SECONDS = 0.025


def _note_failure(key_id: str, exc: sts.StsError) -> None:
    note = json.dumps({"status": exc.status, "detail": str(exc)})
    guard(lambda: client().set(key("fail", key_id), note, px=FAILURE_SECONDS * 1000))


def _shared_outcome(spec: SessionSpec, accept: Callable[[Entry], bool]) -> Entry | None:
    """What the lock holder produced, or ``None`` while it is still at work."""
    pipe = client().pipeline(transaction=False)
    pipe.get(key("v", spec.key_id))
    pipe.get(key("fail", spec.key_id))
    pipe.exists(key("lock", spec.key_id))
    blob, failure, locked = guard(pipe.execute)
    entry = open_value(spec, blob)
    if entry is not None and accept(entry):
        return entry
    if failure is not None:
        note = json.loads(failure)
        raise SharedFailure(note["detail"]) if note["status"] == 503 else sts.StsError(note["detail"])
    if not locked:
        raise _LockFreed
    return None


class _LockFreed(Exception):
    pass


def single_flight(
    spec: SessionSpec, produce: Callable[[], Entry], accept: Callable[[Entry], bool], *, wait: float
) -> tuple[Entry, bool]:
    """One caller per key produces (and stores) a session; the others wait for it.

    Returns the entry and whether this caller produced it. After ``wait``
    seconds a waiter stops waiting and produces its own.
    """
    deadline = time.monotonic() + wait
    while True:
        token = acquire(spec.key_id)
        if token is not None:
            try:
                done = peek(spec)  # a holder that released just now may have left it
                if done is not None and accept(done):
                    return done, False
                entry = produce()
            except sts.StsError as exc:
                _note_failure(spec.key_id, exc)
                raise
            finally:
                release(spec.key_id, token)
            return entry, True
        try:
            while time.monotonic() < deadline:
                found = _shared_outcome(spec, accept)
                if found is not None:
                    return found, False
                time.sleep(POLL_SECONDS)
        except _LockFreed:
            continue
        return produce(), True
