"""Mark each request's user with the second factor shown, and hold back those who still owe one.

Runs after django-otp's ``OTPMiddleware``. ``request.user.mfa_factor`` is
what ``Principal.from_user`` reads, so the access decision sees it. A
password user who must verify (or, with ``BROKER_REQUIRE_MFA``, enrol) is
sent there from every page except the sign-in, MFA and sign-out pages and
the machine endpoints (API, SAML, health, static files). /metrics, like
the admin, answers staff sessions only once they showed a second factor.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from broker.mfa import policy

OPEN_PATHS = (
    "/mfa/",
    "/login/",
    "/logout/",
    "/saml/",
    "/oidc/",
    "/api/",
    "/static/",
    "/healthz",
    "/readyz",
    "/metrics",
)


class MfaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            request.user.mfa_factor = policy.factor(request)
            if not request.path.startswith(OPEN_PATHS) and policy.must_verify(request):
                back = request.get_full_path() if request.method in ("GET", "HEAD") else "/"
                response = HttpResponseRedirect(policy.next_step_url(request, back))
                response["Cache-Control"] = "no-store"
                return response
        return self.get_response(request)
