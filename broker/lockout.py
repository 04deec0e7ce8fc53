"""django-axes hooks: whose failures count together, and what a locked-out sign-in sees.

Failures are keyed by the account as the directory knows it, so ``JDoe``,
``jdoe@corp.example.com`` and ``CORP\\jdoe`` share one counter. A locked-out
attempt gets the page a wrong password gets: axes' backend refused it before
any other backend (so before any bind to the directory), the form said
"wrong username or password", and that answer is kept as it is. A sign-in
the directory could not answer is not a failed guess (the password was
never checked), so an outage does not lock people out.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from broker.directory.errors import unavailable

GENERIC_REFUSAL = "Please enter a correct username and password."


def username_key(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The typed name without letter case, a ``DOMAIN\\`` prefix or an ``@domain`` suffix."""
    raw = (credentials or {}).get("username")
    if raw is None:
        raw = request.POST.get("username", "")
    name = str(raw).strip().lower()
    name = name.rsplit("\\", 1)[-1]
    return name.split("@", 1)[0][:255]


def not_a_guess(request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
    """axes' "whitelist" hook: an attempt the directory could not answer is not counted."""
    return unavailable(request) is not None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The sign-in form's own refusal, unchanged: no lockout oracle for a guesser."""
    if original_response is not None:
        return original_response
    return HttpResponse(GENERIC_REFUSAL, status=200, content_type="text/plain; charset=utf-8")
