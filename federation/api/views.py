"""API endpoints: thin adapters from HTTP to ``federation.delivery`` and ``actions``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from broker.netaddr import client_ip
from federation import actions, delivery
from federation.access import entitlements
from federation.api import formats, serializers
from federation.api.formats import rfc3339

_ERRORS = {
    code: OpenApiResponse(serializers.Error, description=text)
    for code, text in {
        400: "Bad request",
        401: "No token, or a token that is not valid",
        403: "Role not available (`role_not_available`), address not allowed, or the role needs a second "
        "factor the caller has not shown (`mfa_required`: a person's own token carries no MFA proof, so "
        "such a role is used from the portal or by an API client)",
        413: "Request body over the broker's limit",
        429: "Too many requests (Retry-After)",
        503: "AWS or the broker unavailable (Retry-After)",
    }.items()
}


class ApiView(APIView):
    """Every answer carries credentials or could: never stored by any cache."""

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response


class RolesView(ApiView):
    @extend_schema(operation_id="list_roles", responses={200: serializers.Role(many=True), **_ERRORS})
    def get(self, request: Request) -> Response:
        caller = request.user
        mine = entitlements(caller.principal)
        return Response([formats.role(e, cap=caller.max_session_seconds) for e in mine])


class SessionsView(ApiView):
    @extend_schema(
        operation_id="create_session",
        request=serializers.SessionRequest,
        responses={201: serializers.Session, **_ERRORS},
    )
    def post(self, request: Request) -> Response:
        body = serializers.SessionRequest(data=request.data)
        body.is_valid(raise_exception=True)
        issued = delivery.deliver(
            caller=request.user,
            alias=body.validated_data["role"],
            duration_seconds=body.validated_data.get("duration_seconds"),
            policy=body.validated_data.get("policy"),
            source_ip=client_ip(request),
        )
        return Response(formats.session(issued), status=201)


class RoleCredentialsView(ApiView):
    @extend_schema(
        operation_id="role_credentials",
        parameters=[
            OpenApiParameter(
                "alias",
                str,
                OpenApiParameter.PATH,
                pattern=r"^[-a-zA-Z0-9_]+$",
                description="A role alias from GET /api/v1/roles/.",
            ),
            OpenApiParameter(
                "format",
                str,
                enum=["container", "process"],
                description="container (the default) or process (for credential_process).",
            ),
        ],
        responses={
            200: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="RoleCredentials",
                    serializers=[serializers.ContainerCredentials, serializers.ProcessCredentials],
                    resource_type_field_name=None,
                ),
                description="Container-credentials format, or ProcessCredentials with ?format=process.",
            ),
            **_ERRORS,
            404: OpenApiResponse(
                serializers.Error, description="No such endpoint (an alias that is not a slug)"
            ),
        },
    )
    def get(self, request: Request, alias: str) -> Response:
        fmt = request.query_params.get("format", "container")
        if fmt not in ("container", "process"):
            raise ValidationError({"format": "must be container or process"})
        issued = delivery.deliver(caller=request.user, alias=alias, source_ip=client_ip(request), fmt=fmt)
        return Response(formats.process(issued) if fmt == "process" else formats.container(issued))


class ConsoleUrlView(ApiView):
    @extend_schema(
        operation_id="create_console_url",
        request=serializers.ConsoleRequest,
        responses={201: serializers.ConsoleUrl, **_ERRORS},
    )
    def post(self, request: Request) -> Response:
        body = serializers.ConsoleRequest(data=request.data)
        body.is_valid(raise_exception=True)
        link = actions.console_link(
            principal=request.user.principal,
            alias=body.validated_data["role"],
            duration_seconds=body.validated_data.get("duration_seconds"),
            destination=body.validated_data.get("destination") or None,
            source_ip=client_ip(request),
            cap=request.user.max_session_seconds,
        )
        return Response(
            {
                "url": link.url,
                "expires_at": rfc3339(link.expires_at),
                "session_expires_at": rfc3339(link.session_expires_at),
            },
            status=201,
        )


class NotFoundView(ApiView):
    """Unknown paths under /api/ answer in the API's error format, not an HTML page."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []
    schema = None

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotFound("no such endpoint")

    post = put = patch = delete = get
