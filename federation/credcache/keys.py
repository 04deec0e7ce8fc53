"""The names of the cache's Redis keys, all under ``BROKER_CACHE_PREFIX``.

``<id>`` is a hash of the session's context (``SessionSpec.key_id``), so key
names reveal nobody:

- ``v:<id>``: the sealed session (``sealed``), expiring with it;
- ``m:<id>``: plain metadata for the refresher (subject, role, requested
  terms, last use); never a secret;
- ``due``: a sorted set of ids by the time they should be refreshed;
- ``lock:<id>`` / ``fail:<id>``: single-flight lock and a short-lived note
  of the last STS failure, so N concurrent misses make one STS call and
  share its outcome.

One function builds them all, so a key is spelled the same by every module.
"""

from __future__ import annotations

from django.conf import settings


def key(kind: str, key_id: str = "") -> str:
    return (
        f"{settings.BROKER_CACHE_PREFIX}{kind}:{key_id}"
        if key_id
        else f"{settings.BROKER_CACHE_PREFIX}{kind}"
    )
