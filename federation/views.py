"""Portal pages: the role picker, favourites, the console redirect, the CLI credentials page."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from typing import TypeVar

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from broker.mfa.views import mfa_required_page
from broker.netaddr import client_ip
from broker.oidc.tokens import source as web_identity_source
from broker.principal import Principal, principal_for
from federation import actions, snippets
from federation.access import Entitlement, MfaRequired, RoleNotAvailable, entitlements
from federation.credcache import held
from federation.elevation import portal as elevation_portal
from federation.errors import Problem, describe, problem_for_bad_input
from federation.shortcuts import store

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


def _with_options(items: list[Entitlement]) -> list[tuple[Entitlement, list[tuple[int, str, bool]]]]:
    return [(e, duration_options(e)) for e in items]


@require_GET
@login_required
def portal(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    principal = _principal(request)
    everything = entitlements(principal)
    mine = [e for e in everything if not query or _matches(e, query)]
    accounts = [
        (account, _with_options(list(items)))
        for account, items in groupby(mine, key=lambda e: e.role.account)
    ]
    context = {
        "accounts": accounts,
        "query": query,
        "eligible": elevation_portal.eligible_for(principal),  # roles to request (federation.elevation)
        "favourites": _with_options(store.favourites(request.user, everything)),
        "recent": _with_options(store.pick(everything, store.recent_ids(request.user))),
        "favourite_ids": store.favourite_ids(request.user),
        # a web-identity role needs this sign-in's own ID token: without one, say so on the card
        "has_id_token": principal.web_identity is not None,
    }
    return render(request, "federation/portal.html", context)


def _own_entitlement(request: HttpRequest, alias: str) -> Entitlement:
    """The person's entitlement to ``alias`` whether or not MFA is still owed; else ``RoleNotAvailable``."""
    for entitlement in entitlements(principal_for(request.user)):
        if entitlement.role.alias == alias:
            return entitlement
    raise RoleNotAvailable(alias)


@require_POST
@login_required
def favourite(request: HttpRequest, alias: str) -> HttpResponse:
    """Mark or unmark a role the person holds; any other alias answers like a role that does not exist."""
    outcome = _attempt(request, lambda: _own_entitlement(request, alias))
    if isinstance(outcome, HttpResponse):
        return outcome
    store.set_favourite(request.user, outcome.role, on=request.POST.get("on") == "1")
    return HttpResponseRedirect(reverse("portal"), status=303)


def problem_page(request: HttpRequest, problem: Problem) -> HttpResponse:
    response = render(request, "federation/error.html", {"problem": problem}, status=problem.status)
    if problem.retry_after:
        response["Retry-After"] = str(problem.retry_after)
    return response


def _principal(request: HttpRequest) -> Principal:
    """The signed-in person, able to present their OIDC ID token to web-identity roles."""
    return principal_for(request.user, web_identity=web_identity_source(request))


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
            principal=_principal(request),
            alias=alias,
            duration_seconds=_duration(request),
            destination=request.POST.get("destination") or None,
            source_ip=client_ip(request),
            saml_form=True,
        ),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    store.record_use(request.user, alias)
    if isinstance(outcome, actions.SamlConsoleForm):
        return saml_post_page(request, outcome)
    return _no_store(HttpResponseRedirect(outcome.url))


def saml_post_page(request: HttpRequest, form: actions.SamlConsoleForm) -> HttpResponse:
    """The console hop for a saml role: a form to AWS's SAML sign-in, sent by a static script.

    The signed Response is a bearer secret for minutes: it is in this page's
    body only (never a URL, a log or the cache), the page is not stored, sends
    no Referer, and its CSP lets forms go to AWS's endpoint and nowhere else.
    """
    response = _no_store(render(request, "federation/saml_post.html", {"form": form}))
    response._csp_update = {"form-action": [form.action]}  # type: ignore[attr-defined]
    return response


@require_http_methods(["GET", "POST"])
@login_required
def credentials(request: HttpRequest, alias: str) -> HttpResponse:
    """POST issues and holds a set, then redirects (303) to the GET, which shows the held set.

    A reload shows the same credentials; once the hold is over (or on a bare
    GET) the page offers to issue a new set instead. ``forget`` drops the set.
    """
    if request.method == "POST" and "forget" in request.POST:
        held.forget(request.session, alias=alias)
        return HttpResponseRedirect(reverse("portal"), status=303)
    if request.method == "POST":
        return _issue_and_hold(request, alias)
    kept = held.held(request.session, user_pk=request.user.pk, alias=alias)
    if kept is None:
        return _offer_to_issue(request, alias)
    credentials, duration = kept
    entitlement = _attempt(request, lambda: _own_entitlement(request, alias))
    if isinstance(entitlement, HttpResponse):  # the grant went away since: show nothing
        held.forget(request.session, alias=alias)
        return entitlement
    context = {
        "credentials": credentials,
        "duration": duration,
        "role": entitlement.role,
        "formats": [
            (f"s{n}", label, text)
            for n, (label, text) in enumerate(snippets.all_formats(credentials, profile=alias), start=1)
        ],
        "values": snippets.values(credentials),
        "hold_minutes": held.HOLD_SECONDS // 60,
    }
    return _no_store(render(request, "federation/credentials.html", context))


def _issue_and_hold(request: HttpRequest, alias: str) -> HttpResponse:
    outcome = _attempt(
        request,
        lambda: actions.issue_credentials(
            principal=_principal(request),
            alias=alias,
            duration_seconds=_duration(request),
            purpose="cli",
            source_ip=client_ip(request),
        ),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    held.hold(
        request.session,
        user_pk=request.user.pk,
        alias=alias,
        credentials=outcome.credentials,
        duration=outcome.duration_seconds,
    )
    store.record_use(request.user, alias)
    return _no_store(HttpResponseRedirect(reverse("credentials", args=[alias]), status=303))


def _offer_to_issue(request: HttpRequest, alias: str) -> HttpResponse:
    entitlement = _attempt(request, lambda: _own_entitlement(request, alias))
    if isinstance(entitlement, HttpResponse):
        return entitlement
    context = {"role": entitlement.role, "options": duration_options(entitlement)}
    return _no_store(render(request, "federation/credentials_offer.html", context))
