"""REST endpoints for access requests (``/api/v1/access-requests/``): thin adapters over ``states``.

A person's token (personal or CLI) acts as that person: it may request,
list, approve and deny as they would in the portal, except that a token
shows no second factor, so with MFA on it cannot approve or deny
(``stepup.token_stepped_up``). API clients (applications) are not people:
they may not request, and see no requests.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from broker.apitokens.tokens import Caller
from broker.netaddr import client_ip
from federation.api.formats import rfc3339
from federation.api.serializers import Error
from federation.api.views import ApiView
from federation.elevation import states, stepup
from federation.elevation.models import MAX_ELEVATION_SECONDS, AccessRequest
from federation.models import MIN_SESSION_SECONDS

_ERRORS = {
    code: OpenApiResponse(Error, description=text)
    for code, text in {
        400: "Bad request (duration out of range, justification missing)",
        401: "No token, or a token that is not valid",
        403: "Role not available, not an approver, own request, or a second factor needed",
        404: "No such request that you can see",
        409: "Not possible in the request's state",
        429: "Too many requests (Retry-After)",
        503: "The broker unavailable (Retry-After)",
    }.items()
}


class NewRequest(serializers.Serializer):
    role = serializers.SlugField(max_length=64, help_text="An eligible role's alias.")
    duration_seconds = serializers.IntegerField(
        min_value=MIN_SESSION_SECONDS,
        max_value=MAX_ELEVATION_SECONDS,
        help_text="How long the elevation lasts.",
    )
    justification = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    ticket = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class Decision(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ApprovalShape(serializers.Serializer):
    approver = serializers.CharField()
    at = serializers.DateTimeField()


class RequestShape(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField()
    requester = serializers.CharField()
    state = serializers.ChoiceField(choices=AccessRequest.State.values)
    duration_seconds = serializers.IntegerField()
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True, help_text="No credential under it outlives this.")
    seconds_left = serializers.IntegerField()
    justification = serializers.CharField()
    ticket = serializers.CharField()
    approvals_required = serializers.IntegerField()
    approvals = ApprovalShape(many=True)
    created_at = serializers.DateTimeField()
    pending_until = serializers.DateTimeField()


def _time(moment: Any) -> str | None:
    return rfc3339(moment) if moment else None


def shape(request: AccessRequest) -> dict[str, Any]:
    from django.utils import timezone

    return {
        "id": request.pk,
        "role": request.role_alias,
        "requester": request.requester_name,
        "state": request.state,
        "duration_seconds": request.duration_seconds,
        "starts_at": _time(request.starts_at),
        "ends_at": _time(request.ends_at),
        "seconds_left": request.seconds_left(timezone.now()),
        "justification": request.justification,
        "ticket": request.ticket,
        "approvals_required": request.approvals_required,
        "approvals": [{"approver": a.approver_name, "at": rfc3339(a.at)} for a in request.approvals.all()],
        "created_at": rfc3339(request.created_at),
        "pending_until": rfc3339(request.pending_until),
    }


def actor_for(request: Request) -> states.Actor:
    caller: Caller = request.user
    kind, _, ident = caller.subject.partition(":")
    return states.Actor(
        principal=caller.principal,
        user_id=int(ident) if kind == "user" and ident.isdigit() else None,
        stepped_up=stepup.token_stepped_up(caller.subject),
        source_ip=client_ip(request),
    )


def visible(actor: states.Actor) -> list[AccessRequest]:
    """The caller's own requests and the open ones they may approve, newest first."""
    if actor.principal.kind != "user":
        return []
    mine = AccessRequest.objects.filter(requester_name=actor.name)[:100]
    others = AccessRequest.objects.filter(state__in=[states.PENDING, states.ACTIVE]).exclude(
        requester_name=actor.name
    )
    found = [*mine, *(r for r in others if states.is_approver(r, actor.principal))]
    return sorted(found, key=lambda r: (r.created_at, r.pk), reverse=True)


class AccessRequestsView(ApiView):
    @extend_schema(operation_id="list_access_requests", responses={200: RequestShape(many=True), **_ERRORS})
    def get(self, request: Request) -> Response:
        return Response([shape(r) for r in visible(actor_for(request))])

    @extend_schema(
        operation_id="create_access_request", request=NewRequest, responses={201: RequestShape, **_ERRORS}
    )
    def post(self, request: Request) -> Response:
        body = NewRequest(data=request.data)
        body.is_valid(raise_exception=True)
        created = states.request_elevation(
            actor=actor_for(request),
            alias=body.validated_data["role"],
            duration_seconds=body.validated_data["duration_seconds"],
            justification=body.validated_data["justification"],
            ticket=body.validated_data["ticket"],
        )
        return Response(shape(created), status=201)


class AccessRequestView(ApiView):
    @extend_schema(operation_id="get_access_request", responses={200: RequestShape, **_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        actor = actor_for(request)
        found = AccessRequest.objects.filter(pk=pk).first()
        if found is None or not states.may_see(found, actor):
            raise states.RequestNotFound(f"no access request #{pk} that you can see")
        return Response(shape(found))


def _decision_view(name: str, action: Any) -> type[ApiView]:
    class View(ApiView):
        @extend_schema(
            operation_id=f"{name}_access_request", request=Decision, responses={200: RequestShape, **_ERRORS}
        )
        def post(self, request: Request, pk: int) -> Response:
            body = Decision(data=request.data)
            body.is_valid(raise_exception=True)
            done = action(actor=actor_for(request), request_id=pk, comment=body.validated_data["comment"])
            return Response(shape(done))

    View.__name__ = View.__qualname__ = f"{name.title()}AccessRequestView"
    return View


ApproveView = _decision_view("approve", states.approve)
DenyView = _decision_view("deny", states.deny)
