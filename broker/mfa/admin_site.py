"""The Django admin, open to staff only once this session showed a second factor.

Equivalent to django-otp's ``OTPAdminSite``, but the factor is asked on the
portal's own verify page (or enrolment, for staff without one) rather than
in a second admin login form. SAML staff bring their IdP's MFA, unless
``BROKER_STAFF_REQUIRE_WEBAUTHN`` asks every member of staff for a passkey.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from broker.mfa import policy
from broker.mfa.redirects import safe_next


def _factor_fits(request: HttpRequest) -> bool:
    return policy.satisfies(policy.factor(request), policy.staff_level(request.user))


class BrokerAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and _factor_fits(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.is_active and user.is_staff and not _factor_fits(request):
            index = reverse("admin:index", current_app=self.name)
            next_url = safe_next(request, request.GET.get("next"), default=index)
            return HttpResponseRedirect(policy.next_step_url(request, next_url, policy.staff_level(user)))
        return super().login(request, extra_context)
