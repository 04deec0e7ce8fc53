"""Per-client rate limit: a fixed window counted in Redis (one round trip).

DRF's own throttles keep a list of timestamps per client in the cache and
rewrite it on every request; a counter is cheaper and enough here. When
Redis is down the limit is not enforced (logged): the API keeps answering.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from broker.env import parse_rate
from broker.redisconn import client

log = logging.getLogger(__name__)


class ClientRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._wait = 1.0

    def allow_request(self, request: Request, view: Any) -> bool:
        caller = request.user
        if caller is None:
            return True
        limit, period = parse_rate(settings.BROKER_API_RATE, name="BROKER_API_RATE")
        now = time.time()
        key = f"{settings.BROKER_CACHE_PREFIX}rate:{caller.subject}:{int(now // period)}"
        try:
            pipe = client().pipeline(transaction=False)
            pipe.incr(key)
            pipe.expire(key, period + 1)
            count, _ = pipe.execute()
        except redis.RedisError as exc:
            log.warning("rate limit not enforced: Redis %s", type(exc).__name__)
            return True
        self._wait = period - (now % period)
        return count <= limit

    def wait(self) -> float:
        return self._wait
