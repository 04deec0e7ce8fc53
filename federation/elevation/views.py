"""Portal pages for elevation: request a role, list requests, one request with its history.

Views only build an ``Actor`` and call a transition in ``states``; every
check lives there. A refusal answers with the shared error page (the code
and reason of ``federation.errors``), a missing second factor with the MFA
page pointing back here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from broker.mfa import stepup as mfa_stepup
from broker.netaddr import client_ip
from broker.principal import principal_for
from federation.elevation import states, stepup
from federation.elevation.models import AccessRequest
from federation.errors import describe
from federation.views import _attempt as portal_attempt
from federation.views import problem_page

OPEN = [states.PENDING, states.ACTIVE]


def actor_for(request: HttpRequest) -> states.Actor:
    user = request.user
    return states.Actor(
        principal=principal_for(user),
        user_id=user.pk,
        is_admin=bool(user.is_staff and user.has_perm("elevation.change_accessrequest")),
        stepped_up=stepup.portal_stepped_up(request),
        source_ip=client_ip(request),
    )


def _attempt(request: HttpRequest, call: Callable[[], Any], next_url: str = "/") -> Any:
    """The portal's error handling, plus the page asking an approver for a fresh second factor."""

    def guarded() -> Any:
        try:
            return call()
        except states.StepUpRequired as exc:
            context = {"next_step": mfa_stepup.step_up_url(request), "detail": str(exc)}
            return render(request, "elevation/stepup.html", context, status=403)

    return portal_attempt(request, guarded)


def _seconds(raw: str) -> int:
    raw = raw.strip()
    if not raw.isdigit():
        raise ValueError(f"duration_seconds must be a number of seconds, not {raw[:20]!r}")
    return int(raw)


@require_POST
@login_required
def request_role(request: HttpRequest, alias: str) -> HttpResponse:
    outcome = _attempt(
        request,
        lambda: states.request_elevation(
            actor=actor_for(request),
            alias=alias,
            duration_seconds=_seconds(request.POST.get("duration_seconds", "")),
            justification=request.POST.get("justification", ""),
            ticket=request.POST.get("ticket", ""),
        ),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    return HttpResponseRedirect(reverse("elevation-request", args=[outcome.pk]))


@require_GET
@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    mine = list(AccessRequest.objects.filter(requester_name=actor.name)[:100])
    others = AccessRequest.objects.filter(state__in=OPEN).exclude(requester_name=actor.name)
    to_me = [r for r in others if states.is_approver(r, actor.principal)]
    now = timezone.now()
    context = {
        "mine": [(r, r.seconds_left(now)) for r in mine],
        "to_me": [(r, r.seconds_left(now)) for r in to_me],
    }
    return render(request, "elevation/requests.html", context)


def _page_context(req: AccessRequest, actor: states.Actor) -> dict[str, Any]:
    mine = req.requester_name == actor.name
    approver = states.is_approver(req, actor.principal) and not mine
    approved = req.approvals.filter(approver_name=actor.name).exists()
    return {
        "req": req,
        "left": req.seconds_left(timezone.now()),
        "approvals": list(req.approvals.all()),
        "events": list(req.events.all()),
        "can_decide": approver and req.state == states.PENDING and not approved,
        "can_cancel": mine and req.state in OPEN,
        "can_revoke": (approver or actor.is_admin) and req.state == states.ACTIVE,
        "needs_stepup": approver and not actor.stepped_up,
    }


@require_GET
@login_required
def request_page(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_for(request)
    req = AccessRequest.objects.filter(pk=pk).first()
    if req is None or not states.may_see(req, actor):
        return problem_page(
            request, describe(states.RequestNotFound(f"no access request #{pk} that you can see"))
        )
    return render(request, "elevation/request.html", _page_context(req, actor))


def _transition(action: Callable[..., AccessRequest]) -> Callable[[HttpRequest, int], HttpResponse]:
    @require_POST
    @login_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        here = reverse("elevation-request", args=[pk])
        outcome = _attempt(
            request,
            lambda: action(actor=actor_for(request), request_id=pk, comment=request.POST.get("comment", "")),
            here,
        )
        return outcome if isinstance(outcome, HttpResponse) else HttpResponseRedirect(here)

    return view


approve = _transition(states.approve)
deny = _transition(states.deny)
cancel = _transition(states.cancel)
revoke = _transition(states.revoke)
