"""The verify step after the password, the MFA page (status, enrolment with a QR code, removal),
and the "role needs MFA" page.

Verifying rotates the session key (as the password step did), so a session
id planted before the code was typed is worthless after it. Wrong codes are
slowed down by django-otp's throttling (1, 2, 4... seconds between tries).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from broker import audit
from broker.mfa import policy, qr
from broker.mfa.forms import CodeForm
from broker.mfa.redirects import safe_next

PENDING = "mfa_pending_device"
WRONG_CODE = "That code is not valid. Enter the current code from your authenticator app."
# The second factor has actions of its own, so one sign-in stays one "signin" row in the trail.
VERIFIED, FAILED, REMOVED = "mfa.verified", "mfa.failed", "mfa.removed"


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return _no_store(render(request, template, context, status=status))


def _to(name: str, next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': next_url})}")


def _verified(request: HttpRequest, device: TOTPDevice, step: str) -> None:
    otp_login(request, device)
    request.session.cycle_key()  # a new session id once the second factor is shown
    request.user.mfa_factor = policy.TOTP
    audit.record_request(VERIFIED, request, method="totp", step=step)


def _check(request: HttpRequest, device: TOTPDevice, form: CodeForm, step: str) -> bool:
    if form.is_valid() and device.verify_token(form.cleaned_data["code"]):
        return True
    form.add_error(None, WRONG_CODE)
    audit.record_request(FAILED, request, method="totp", outcome="denied", step=step)
    return False


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if policy.factor(request):
        return HttpResponseRedirect(next_url)
    device = policy.device_for(request.user)
    if device is None:
        return _to("mfa-enrol", next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and _check(request, device, form, "verify"):
        _verified(request, device, "verify")
        return _no_store(HttpResponseRedirect(next_url))
    return _page(request, "mfa/verify.html", {"form": form, "next": next_url})


def _pending(request: HttpRequest) -> TOTPDevice | None:
    pk = request.session.get(PENDING)
    return TOTPDevice.objects.filter(pk=pk, user=request.user, confirmed=False).first() if pk else None


def _new_pending(request: HttpRequest) -> TOTPDevice:
    TOTPDevice.objects.devices_for_user(request.user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=request.user, name="authenticator app", confirmed=False)
    request.session[PENDING] = device.pk
    return device


@transaction.atomic
def _confirm(request: HttpRequest, device: TOTPDevice) -> None:
    TOTPDevice.objects.devices_for_user(request.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    request.session.pop(PENDING, None)


def _enrol_page(request: HttpRequest, device: TOTPDevice, form: CodeForm, next_url: str) -> HttpResponse:
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": qr.svg(device.config_url),
        "secret": qr.manual_secret(device.bin_key),
        "replacing": policy.has_device(request.user),
    }
    return _page(request, "mfa/enrol.html", context)


def _status_page(request: HttpRequest, form: CodeForm, next_url: str, status: int = 200) -> HttpResponse:
    context = {"device": policy.device_for(request.user), "form": form, "next": next_url}
    return _page(request, "mfa/status.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """A new pending device per visit (its secret shown on this page only), confirmed by a code."""
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if policy.signed_in_with_saml(request):
        return _page(request, "mfa/idp.html", {})
    if policy.has_device(request.user) and not policy.factor(request):
        return _to("mfa-verify", f"{reverse('mfa-enrol')}?{urlencode({'next': next_url})}")
    if request.method == "GET" and policy.has_device(request.user) and "replace" not in request.GET:
        return _status_page(request, CodeForm(), next_url)
    if request.method == "GET":
        return _enrol_page(request, _new_pending(request), CodeForm(), next_url)
    device = _pending(request)
    if device is None:
        return _to("mfa-enrol", next_url)
    form = CodeForm(request.POST)
    if not _check(request, device, form, "enrol"):
        return _enrol_page(request, device, form, next_url)
    _confirm(request, device)
    _verified(request, device, "enrol")
    return _no_store(HttpResponseRedirect(next_url))


@login_required
@require_http_methods(["POST"])
def remove(request: HttpRequest) -> HttpResponse:
    """Remove the person's authenticator, after a current code from it (a stolen session alone cannot)."""
    device = policy.device_for(request.user)
    if device is None or policy.signed_in_with_saml(request):
        return HttpResponseRedirect(reverse("mfa-enrol"))
    if not policy.factor(request):  # the sign-in's own code first, then the one that confirms removal
        return _to("mfa-verify", reverse("mfa-enrol"))
    form = CodeForm(request.POST)
    if not _check(request, device, form, "remove"):
        return _status_page(request, form, reverse("portal"), status=400)
    with transaction.atomic():
        TOTPDevice.objects.devices_for_user(request.user, confirmed=None).delete()
        audit.record_request(REMOVED, request, method="totp")
    request.user.mfa_factor = ""
    return _no_store(HttpResponseRedirect(f"{reverse('mfa-enrol')}?removed=1"))


def mfa_required_page(request: HttpRequest, next_url: str = "/") -> HttpResponse:
    """403 for a role whose grants need MFA, pointing a browser user to verify or enrol."""
    context = {
        "next_step": policy.next_step_url(request, next_url),
        "has_device": policy.has_device(request.user),
    }
    return _page(request, "mfa/required.html", context, status=403)
