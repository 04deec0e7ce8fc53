"""A cached session and the rules of its life: when it may be served, when to refresh it.

Kept apart from Redis so the timing rules (serve while half the requested
life is left, never under a minute, refresh ``BROKER_CACHE_REFRESH_LEAD``
before that) read in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings

from federation import sts

SERVE_FRACTION = 0.5  # serve while at least this share of the requested life is left
MIN_USABLE_SECONDS = 60  # never hand out a session with less life than this


@dataclass(frozen=True)
class Entry:
    credentials: sts.Credentials
    issued_at: float

    @property
    def expires_at(self) -> float:
        return self.credentials.expiration.timestamp()

    def remaining(self, now: float) -> float:
        return self.expires_at - now

    def serves(self, duration: int, now: float) -> bool:
        """Comfortably more life left than the caller needs."""
        return self.remaining(now) >= max(duration * SERVE_FRACTION, MIN_USABLE_SECONDS)

    def usable(self, now: float) -> bool:
        return self.remaining(now) >= MIN_USABLE_SECONDS

    def refresh_at(self, duration: int) -> float:
        # A session cut short (at an elevation's end) needs no more than its own life.
        duration = min(duration, math.ceil(self.expires_at - self.issued_at))
        lead = settings.BROKER_CACHE_REFRESH_LEAD
        return max(
            self.issued_at, self.expires_at - max(duration * SERVE_FRACTION, MIN_USABLE_SECONDS) - lead
        )
