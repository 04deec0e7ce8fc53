"""Sign a portal session out after ``BROKER_IDLE_TIMEOUT_SECONDS`` without a request.

The last request's time is kept in the session, rewritten at most once a
minute so that a busy page does not write the session on every request.
API tokens have no session and are not affected.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

LAST_SEEN = "broker_last_seen"
TOUCH_SECONDS = 60


def idle_for(request: HttpRequest, now: int) -> int | None:
    last = request.session.get(LAST_SEEN)
    return now - last if isinstance(last, int) else None


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            idle = idle_for(request, now)
            if idle is not None and idle > settings.BROKER_IDLE_TIMEOUT_SECONDS:
                logout(request)  # flushes the session; the view then sees nobody signed in
            elif idle is None or idle >= TOUCH_SECONDS:
                request.session[LAST_SEEN] = now
        return self.get_response(request)
