"""Error pages the broker draws itself, so they carry its headers and CSP-clean markup.

Every status a person can meet gets the same card (``federation/error.html``):
Django's handlers for 400, 403, 404 and 500 (``handler*`` in the root
URLconf, used when ``DJANGO_DEBUG`` is off), the CSRF failure view, and
``StyledEmptyErrors`` for answers that come back with no body at all, such as
the 405 of a POST-only URL opened as a link. The API keeps its JSON errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from broker.logformat import request_id

PAGES: dict[int, tuple[str, str, str]] = {
    400: (
        "bad_request",
        "Bad request",
        "The broker could not understand this request. Go back and try again.",
    ),
    403: ("forbidden", "Not allowed", "You do not have access to this page."),
    404: (
        "not_found",
        "Page not found",
        "There is no page at this address. Check the link, or start again from your roles.",
    ),
    405: (
        "method_not_allowed",
        "This page opens from a button",
        "This address answers a form, not a link or a reload. "
        "Go back to your roles and use the button there.",
    ),
    500: (
        "server_error",
        "Something went wrong",
        "The broker hit an error it did not expect and logged it. Try again in a moment; "
        "if it keeps happening, tell your AWS administrators and give them the reference below.",
    ),
}
# Answers that keep their own (empty) body: machine endpoints and Django's own redirects.
_MACHINE_PATHS = ("/api/", "/healthz", "/readyz", "/metrics", "/saml/acs/", "/static/")


def problem(status: int, detail: str = "") -> dict[str, Any]:
    code, title, default = PAGES.get(status, PAGES[400] if status < 500 else PAGES[500])
    return {
        "status": status,
        "code": code,
        "title": title,
        "detail": detail or default,
        "reference": request_id.get(),
    }


def page(request: HttpRequest, status: int, detail: str = "", **overrides: str) -> HttpResponse:
    context = {"problem": {**problem(status, detail), **overrides}}
    response = render(request, "federation/error.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


# Django raises these (SuspiciousOperation, so its 400 handler runs) for a body over its limits.
TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    detail = "This form was open too long or was sent from another site. Reload the page and try again."
    return page(request, 403, detail, code="csrf_failed", title="Form expired")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return page(request, 403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Drawn without the request's context: the database or the session may be what failed."""
    body = render_to_string("federation/error.html", {"problem": problem(500)})
    response = HttpResponse(body, status=500)
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


class StyledEmptyErrors:
    """Give an error answer that has no body (a 405 from ``require_POST``, a bare 400) the card.

    Headers such as ``Allow`` are kept; machine endpoints are left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or response.streaming or response.content:
            return response
        if request.path.startswith(_MACHINE_PATHS) or request.method == "HEAD":
            return response
        styled = page(request, response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                styled[header] = response[header]
        return styled
