"""Error pages the broker draws itself, so they carry its headers and CSP-clean markup."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    problem = {
        "status": 403,
        "code": "csrf_failed",
        "title": "Form expired",
        "detail": "This form was open too long or was sent from another site. Reload the page and try again.",
    }
    response = render(request, "federation/error.html", {"problem": problem}, status=403)
    response["Cache-Control"] = "no-store"
    return response
