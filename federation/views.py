"""Portal pages: the role picker, the console redirect, the CLI credentials page."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from typing import TypeVar

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from broker.mfa.views import mfa_required_page
from broker.netaddr import client_ip
from broker.principal import principal_for
from federation import actions, snippets
from federation.access import Entitlement, MfaRequired, entitlements
from federation.errors import Problem, describe, problem_for_bad_input

T = TypeVar("T")

DURATION_CHOICES = [900, 1800, 3600, 7200, 14400, 28800, 43200]


def _label(seconds: int) -> str:
    return f"{seconds // 3600} h" if seconds >= 3600 and seconds % 3600 == 0 else f"{seconds // 60} min"


def duration_options(entitlement: Entitlement) -> list[tuple[int, str, bool]]:
    """(seconds, label, selected) for the grant's bounds, its default always offered."""
    choices = {s for s in DURATION_CHOICES if s <= entitlement.max_seconds} | {entitlement.default_seconds}
    return [(s, _label(s), s == entitlement.default_seconds) for s in sorted(choices)]


def _matches(entitlement: Entitlement, query: str) -> bool:
    role = entitlement.role
    haystack = " ".join([role.alias, role.arn, role.account.name, role.account.account_id, role.description])
    return query.lower() in haystack.lower()


@require_GET
@login_required
def portal(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    mine = [e for e in entitlements(principal_for(request.user)) if not query or _matches(e, query)]
    accounts = [
        (account, [(e, duration_options(e)) for e in items])
        for account, items in groupby(mine, key=lambda e: e.role.account)
    ]
    return render(request, "federation/portal.html", {"accounts": accounts, "query": query})


def problem_page(request: HttpRequest, problem: Problem) -> HttpResponse:
    response = render(request, "federation/error.html", {"problem": problem}, status=problem.status)
    if problem.retry_after:
        response["Retry-After"] = str(problem.retry_after)
    return response


def _duration(request: HttpRequest) -> int | None:
    raw = request.POST.get("duration", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValueError(f"duration must be a number of seconds, not {raw[:20]!r}")
    return int(raw)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _attempt(request: HttpRequest, call: Callable[[], T]) -> T | HttpResponse:
    """Run an action; a domain error or bad input becomes an error page, a bug stays a bug."""
    try:
        return call()
    except MfaRequired as exc:
        return _no_store(mfa_required_page(request, level=exc.level))
    except Exception as exc:
        problem = describe(exc)
        if problem is None and isinstance(exc, ValueError):
            problem = problem_for_bad_input(str(exc))
        if problem is None:
            raise
        return _no_store(problem_page(request, problem))


@require_POST
@login_required
def console(request: HttpRequest, alias: str) -> HttpResponse:
    outcome = _attempt(
        request,
        lambda: actions.console_link(
            principal=principal_for(request.user),
            alias=alias,
            duration_seconds=_duration(request),
            destination=request.POST.get("destination") or None,
            source_ip=client_ip(request),
        ),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    return _no_store(HttpResponseRedirect(outcome.url))


@require_POST
@login_required
def credentials(request: HttpRequest, alias: str) -> HttpResponse:
    outcome = _attempt(
        request,
        lambda: actions.issue_credentials(
            principal=principal_for(request.user),
            alias=alias,
            duration_seconds=_duration(request),
            purpose="cli",
            source_ip=client_ip(request),
        ),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    context = {
        "issued": outcome,
        "role": outcome.entitlement.role,
        "formats": snippets.all_formats(outcome.credentials, profile=alias),
    }
    return _no_store(render(request, "federation/credentials.html", context))
