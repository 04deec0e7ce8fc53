"""Error pages the broker draws itself, so they carry its headers and CSP-clean markup."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

# Django raises these (SuspiciousOperation, so its 400 handler runs) for a body over its limits.
TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


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


def _bad_request_problem(exception: Exception | None) -> dict[str, object]:
    if isinstance(exception, TOO_LARGE):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return {
            "status": 413,
            "code": "request_too_large",
            "title": "Request too large",
            "detail": f"The form sent more than the broker accepts ({limit} bytes). Nothing was changed.",
        }
    return {
        "status": 400,
        "code": "invalid_request",
        "title": "Bad request",
        "detail": "The request was malformed and was refused. Nothing was changed.",
    }


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 handler (``handler400``): a body over the limits is 413, not 400 or 5xx.

    API paths get the API's ``{error, detail}`` shape, for the rare case that
    Django refuses the request before the API's own error handler sees it.
    """
    problem = _bad_request_problem(exception)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"error": problem["code"], "detail": problem["detail"]}, status=problem["status"]
        )
    else:
        response = render(request, "federation/error.html", {"problem": problem}, status=problem["status"])
    response["Cache-Control"] = "no-store"
    return response
