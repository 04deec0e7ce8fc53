"""Make the signed-in user and address known to audit events raised in signals."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from broker.audit import current_actor
from broker.netaddr import client_ip


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        username = user.get_username() if user is not None and user.is_authenticated else ""
        token = current_actor.set((username, client_ip(request)))
        try:
            return self.get_response(request)
        finally:
            current_actor.reset(token)
