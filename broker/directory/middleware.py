"""Answer a directory outage during a page request with a 503, not a 500.

The group re-check runs wherever a principal is built, including pages
that do not route errors through ``federation.errors`` (the portal list).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from broker.directory.errors import DirectoryUnavailable

RETRY_AFTER_SECONDS = 30


class DirectoryUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DirectoryUnavailable):
            return None
        problem = {
            "status": 503,
            "code": exception.code,
            "title": "Directory unavailable",
            "detail": str(exception),
            "retry_after": RETRY_AFTER_SECONDS,
        }
        response = render(request, "federation/error.html", {"problem": problem}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
