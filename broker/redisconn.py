"""One Redis client per process and ``REDIS_URL``, with short timeouts, for every direct use of Redis.

The credential cache (``federation.credcache``), the API rate limits and the
failed-authentication counters (``broker.apitokens.failures``) share it. The
timeouts are short because every caller has a way to carry on without Redis.
"""

from __future__ import annotations

import functools

import redis
from django.conf import settings


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1.0, retry_on_timeout=False)


def client() -> redis.Redis:
    return _client(settings.REDIS_URL)
