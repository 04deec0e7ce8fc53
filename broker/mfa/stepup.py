"""Step-up: sensitive actions want a second factor shown in the last ``BROKER_STEP_UP_SECONDS``.

A session that verified a factor an hour ago may since have been left open on
an unlocked laptop; revoking sessions, the kill switch, grant changes and
approvals ask again. Every way of showing a factor (a TOTP code, a passkey,
a recovery code, a fresh SAML sign-in) calls ``mark_verified``, which stamps
the session; ``step_up_required`` lets the wrapped view or admin action run
only while that stamp is recent, and otherwise sends the browser through the
verify step and back.

Use it on a function view, on an admin action, or on a ModelAdmin method::

    @step_up_required
    def approve(request, pk): ...

    @admin.action(description="...")
    @step_up_required
    def revoke_sessions(model_admin, request, queryset): ...

    @step_up_required(methods=("POST",))   # reading stays open, changing asks
    def changelist_view(self, request, extra_context=None): ...

Where the browser comes back to: a GET comes back to itself; a POST (whose
body cannot survive the detour) comes back to the page the form was on
(its same-site Referer), and the person submits again.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from broker.mfa import policy
from broker.mfa.redirects import safe_next

VERIFIED_AT = "mfa_verified_at"
FACTOR = "mfa_factor"
AGAIN = "Confirm it is you with your second factor, then repeat the action."

F = TypeVar("F", bound=Callable[..., Any])


def clock() -> float:
    """Seconds since the epoch; tests move it forward instead of sleeping."""
    return time.time()


def mark_verified(request: HttpRequest, kind: str) -> None:
    """Record that this session showed a factor of ``kind`` just now."""
    request.session[VERIFIED_AT] = clock()
    request.session[FACTOR] = kind


def seconds_since(request: HttpRequest) -> float | None:
    stamp = request.session.get(VERIFIED_AT)
    return None if stamp is None else clock() - float(stamp)


def recent(request: HttpRequest, level: str = policy.ANY) -> bool:
    """A factor meeting ``level`` was shown within BROKER_STEP_UP_SECONDS (and not in the future)."""
    age = seconds_since(request)
    if age is None or not 0 <= age <= settings.BROKER_STEP_UP_SECONDS:
        return False
    return policy.satisfies(request.session.get(FACTOR, ""), level)


def _back(request: HttpRequest) -> str:
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    if referer.netloc == request.get_host():
        path = referer.path + (f"?{referer.query}" if referer.query else "")
        return safe_next(request, path, default=request.path)
    return request.path


def step_up_url(request: HttpRequest, level: str = policy.ANY) -> str:
    """The verify step, asked to come back to where this request came from."""
    query = {"next": _back(request), "step_up": "1"}
    if level == policy.WEBAUTHN:
        query["need"] = policy.WEBAUTHN
    name = (
        "mfa-verify"
        if policy.has_device(request.user) or policy.signed_in_with_saml(request)
        else "mfa-enrol"
    )
    return f"{reverse(name)}?{urlencode(query)}"


def step_up_response(request: HttpRequest, level: str = "") -> HttpResponse | None:
    """``None`` when the session may go on, else the redirect through the verify step."""
    if not level:
        level = policy.staff_level(request.user) if request.user.is_staff else policy.ANY
    if recent(request, level):
        return None
    messages.warning(request, AGAIN)
    response = HttpResponseRedirect(step_up_url(request, level))
    response["Cache-Control"] = "no-store"
    return response


def _request_in(args: Iterable[Any]) -> HttpRequest:
    for arg in args:
        if isinstance(arg, HttpRequest):
            return arg
    raise TypeError("step_up_required wraps a view, an admin action or a ModelAdmin view")


def step_up_required(view: F | None = None, *, methods: Iterable[str] | None = None, level: str = "") -> Any:
    """Decorator: run the wrapped callable only after a recent second factor (see the module doc).

    ``methods`` limits the check to those HTTP methods (default: all);
    ``level`` is ``"any"`` or ``"webauthn"`` (default: what the admin asks of
    staff, see ``BROKER_STAFF_REQUIRE_WEBAUTHN``, and any factor for others).
    """
    only = {method.upper() for method in methods} if methods else None

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = _request_in(args)
            if only is None or request.method in only:
                refused = step_up_response(request, level)
                if refused is not None:
                    return refused
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate(view) if view is not None else decorate
