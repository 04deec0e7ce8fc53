"""Request context: the signed-in user and address for audit events raised in
signals, and a request id for log lines and the ``X-Request-ID`` header.

A page whose audit event cannot be written (a sign-in, whose event is raised
in a signal) answers 503 and keeps nobody signed in: the trail is a
precondition. The portal and the API map the same error themselves."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from broker.audit import AuditUnavailable, current_actor
from broker.logformat import request_id, request_user
from broker.netaddr import client_ip

_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
RETRY_AFTER_SECONDS = 30


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        username = user.get_username() if user is not None and user.is_authenticated else ""
        offered = request.headers.get("X-Request-ID", "")
        rid = offered if _ID.match(offered) else uuid.uuid4().hex
        tokens = (
            current_actor.set((username, client_ip(request))),
            request_id.set(rid),
            request_user.set(username),
        )
        try:
            response = self.get_response(request)
        finally:
            current_actor.reset(tokens[0])
            request_id.reset(tokens[1])
            request_user.reset(tokens[2])
        response["X-Request-ID"] = rid
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, AuditUnavailable):
            return None
        session = getattr(request, "session", None)
        if exception.action in ("signin", "mfa.verified") and session is not None:
            session.flush()  # a sign-in that could not be audited does not stand
        response = HttpResponse(
            f"503 Audit trail unavailable: {exception}\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
