"""What the cache raises, and the one place a Redis error becomes one of them.

Callers treat ``CacheUnavailable`` as "go to STS directly": nothing is ever
served from anywhere else, so every Redis call in this package goes through
``guard`` and no ``redis`` exception escapes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis

from federation import sts


class CacheUnavailable(Exception):
    """Redis could not be reached or the value could not be sealed; go to STS directly."""


class SharedFailure(sts.StsUnavailable):
    """Another request's STS call for the same session just failed; same answer here."""


def guard(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except redis.RedisError as exc:
        raise CacheUnavailable(f"Redis: {type(exc).__name__}") from None
