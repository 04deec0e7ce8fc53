"""The Django admin, open to staff only once this session showed a second factor.

Equivalent to django-otp's ``OTPAdminSite``, but the factor is asked on the
portal's own verify page (or enrolment, for staff without one) rather than
in a second admin login form. SAML staff bring their IdP's MFA, unless
``BROKER_STAFF_REQUIRE_WEBAUTHN`` asks every member of staff for a passkey.

There is one sign-in for the portal and the admin: the admin's login URL
sends people to the portal's ``/login/`` (with its SSO door, the lockout and
the MFA step) and back, and an admin signed-in person without staff rights
gets a page that says so instead of a second login form.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from broker.mfa import policy
from broker.mfa.redirects import safe_next

# Names people understand, instead of the apps' labels ("AXES", "OTP_TOTP").
APP_NAMES = {
    "auth": "People and groups",
    "broker": "Identity, API clients and audit",
    "federation": "AWS accounts, roles and grants",
    "otp_totp": "Authenticator apps (MFA)",
    "axes": "Sign-in lockouts",
}


def _factor_fits(request: HttpRequest) -> bool:
    return policy.satisfies(policy.factor(request), policy.staff_level(request.user))


class BrokerAdminSite(AdminSite):
    site_header = "AWS identity broker · administration"
    site_title = "AWS identity broker admin"
    index_title = "Accounts, roles, grants and the audit trail"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and _factor_fits(request)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        for app in apps:
            app["name"] = APP_NAMES.get(app["app_label"], app["name"])
        return apps

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        from broker import errorpages

        index = reverse("admin:index", current_app=self.name)
        next_url = safe_next(request, request.GET.get("next"), default=index)
        user = request.user
        if not user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'next': next_url})}")
        if user.is_active and user.is_staff and not _factor_fits(request):
            return HttpResponseRedirect(policy.next_step_url(request, next_url, policy.staff_level(user)))
        if user.is_active and user.is_staff:
            return HttpResponseRedirect(next_url)
        return errorpages.page(
            request, 403, "The admin is for AWS administrators. Your roles are on the portal."
        )
