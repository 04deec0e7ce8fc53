"""The verify step, enrolment (passkey or authenticator app), the MFA page of an enrolled person
(status, removing the authenticator app or one passkey), recovery codes, and the "role needs MFA"
page.

Verifying rotates the session key (as the password step did), so a session
id planted before the factor was shown is worthless after it, and stamps
the session for step-up (``broker.mfa.stepup``). Wrong codes are slowed
down by django-otp's throttling (1, 2, 4... seconds between tries). Passkey
ceremonies are JSON calls to ``broker.mfa.passkeys`` made by
``static/passkeys.js``; these pages only render the buttons.

The first factor a person enrols comes with ten recovery codes, shown on
the answer to that enrolment and never again (only their hashes are kept).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from broker import audit
from broker.mfa import own_passkeys, passkeys, policy, qr, recovery, stepup
from broker.mfa.forms import CodeForm, RecoveryCodeForm
from broker.mfa.redirects import safe_next

PENDING = "mfa_pending_device"
WRONG_CODE = "That code is not valid. Enter the current code from your authenticator app."
WRONG_RECOVERY = "That recovery code is not valid or was already used."
# The second factor has actions of its own, so one sign-in stays one "signin" row in the trail.
VERIFIED, FAILED, ENROLLED, REMOVED = passkeys.VERIFIED, passkeys.FAILED, passkeys.ENROLLED, passkeys.REMOVED
RECOVERY_USED, RECOVERY_ISSUED = "mfa.recovery_used", "mfa.recovery_issued"


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return _no_store(render(request, template, context, status=status))


def _to(name: str, next_url: str, **extra: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': next_url, **extra})}")


def _verified(request: HttpRequest, device: Device, step: str) -> None:
    kind = policy.kind_of(device)
    otp_login(request, device)
    request.session.cycle_key()  # a new session id once the second factor is shown
    stepup.mark_verified(request, kind)
    request.user.mfa_factor = kind
    audit.record_request(VERIFIED if step == "verify" else ENROLLED, request, method=kind, step=step)


def _check(request: HttpRequest, device: TOTPDevice, form: CodeForm, step: str) -> bool:
    if form.is_valid() and device.verify_token(form.cleaned_data["code"]):
        return True
    form.add_error(None, WRONG_CODE)
    audit.record_request(FAILED, request, method=policy.TOTP, outcome="denied", step=step)
    return False


def _codes_page(request: HttpRequest, codes: list[str], next_url: str) -> HttpResponse:
    """The only time recovery codes are shown."""
    return _page(request, "mfa/recovery_codes.html", {"codes": codes, "next": next_url})


def _wanted(request: HttpRequest) -> tuple[str, str, bool]:
    """(where to go next, the level asked for, whether this is a step-up)."""
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    need = policy.WEBAUTHN if (request.POST.get("need") or request.GET.get("need")) == policy.WEBAUTHN else ""
    step_up = (request.POST.get("step_up") or request.GET.get("step_up")) == "1"
    return next_url, need, step_up


def _already(request: HttpRequest, need: str, step_up: bool) -> bool:
    if step_up:
        return stepup.recent(request, need or policy.ANY)
    return bool(policy.factor(request)) and policy.satisfies(policy.factor(request), need or policy.ANY)


def _verify_context(request: HttpRequest, next_url: str, need: str, step_up: bool, **forms: Any) -> dict:
    user = request.user
    return {
        "next": next_url,
        "need": need,
        "step_up": step_up,
        "totp": policy.has_totp(user) and need != policy.WEBAUTHN,
        "passkey": policy.has_passkey(user) and passkeys.available(),
        "recovery": recovery.remaining(user) > 0 and need != policy.WEBAUTHN,
        "saml": policy.signed_in_with_saml(request),
        "form": forms.get("form") or CodeForm(),
        "recovery_form": forms.get("recovery_form") or RecoveryCodeForm(),
    }


def _post_verify(request: HttpRequest, next_url: str, need: str, step_up: bool) -> HttpResponse:
    if "recovery_code" in request.POST:
        return _use_recovery_code(request, next_url, need, step_up)
    device = policy.device_for(request.user)
    form = CodeForm(request.POST)
    if device is not None and _check(request, device, form, "verify"):
        _verified(request, device, "verify")
        return _no_store(HttpResponseRedirect(next_url))
    if device is None:
        form.add_error(None, WRONG_CODE)
    context = _verify_context(request, next_url, need, step_up, form=form)
    return _page(request, "mfa/verify.html", context)


def _use_recovery_code(request: HttpRequest, next_url: str, need: str, step_up: bool) -> HttpResponse:
    device = recovery.device_for(request.user)
    form = RecoveryCodeForm(request.POST)
    if device is None or not form.is_valid() or not device.verify_token(form.cleaned_data["recovery_code"]):
        audit.record_request(FAILED, request, method=policy.RECOVERY, outcome="denied", step="verify")
        form.add_error(None, WRONG_RECOVERY)
        return _page(
            request, "mfa/verify.html", _verify_context(request, next_url, need, step_up, recovery_form=form)
        )
    otp_login(request, device)
    request.session.cycle_key()
    stepup.mark_verified(request, policy.RECOVERY)
    request.user.mfa_factor = policy.RECOVERY
    left = device.remaining()
    audit.record_request(RECOVERY_USED, request, method=policy.RECOVERY, remaining=left)
    return _page(request, "mfa/recovery_used.html", {"remaining": left, "next": next_url})


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    next_url, need, step_up = _wanted(request)
    if _already(request, need, step_up):
        return HttpResponseRedirect(next_url)
    usable = policy.has_passkey(request.user) if need == policy.WEBAUTHN else policy.has_device(request.user)
    if not usable and not policy.signed_in_with_saml(request):
        return _to("mfa-enrol", next_url, **({"need": need} if need else {}))
    if request.method == "POST":
        return _post_verify(request, next_url, need, step_up)
    return _page(request, "mfa/verify.html", _verify_context(request, next_url, need, step_up))


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


def _enrol_page(
    request: HttpRequest, device: TOTPDevice | None, form: CodeForm, next_url: str, need: str
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "next": next_url,
        "need": need,
        "passkeys_available": passkeys.available(),
        "passkey_count": policy.WebAuthnCredential.objects.filter(user=request.user, confirmed=True).count(),
        "replacing": policy.has_totp(request.user),
        "recovery_left": recovery.remaining(request.user),
        "saml": policy.signed_in_with_saml(request),
        "factor_required": policy.factor_required(request),
    }
    if device is not None:
        context.update(qr_svg=qr.svg(device.config_url), secret=qr.manual_secret(device.bin_key))
    return _page(request, "mfa/enrol.html", context)


def _status_page(
    request: HttpRequest, form: CodeForm, next_url: str, status: int = 200, passkey_error: str = ""
) -> HttpResponse:
    """What is enrolled: the authenticator app (replace, remove) and each passkey (remove one)."""
    context = {
        "device": policy.device_for(request.user),
        "form": form,
        "next": next_url,
        "passkeys": own_passkeys.listed(request),
        "passkeys_available": passkeys.available(),
        "passkey_error": passkey_error,
        "saml": policy.signed_in_with_saml(request),
        "factor_required": policy.factor_required(request),
    }
    return _page(request, "mfa/status.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Add a passkey (static/passkeys.js) or an authenticator app (a new pending secret per visit).

    Adding to an account that has a factor needs one shown in the last
    BROKER_STEP_UP_SECONDS. SAML users may add passkeys (for roles and admin
    pages that want a phishing-resistant factor) but no authenticator app.
    """
    next_url, need, _ = _wanted(request)
    saml = policy.signed_in_with_saml(request)
    if policy.has_device(request.user) and not stepup.recent(request):
        here = f"{reverse('mfa-enrol')}?{urlencode({'next': next_url, **({'need': need} if need else {})})}"
        return _to("mfa-verify", here, step_up="1")
    if request.method == "GET" and policy.has_device(request.user) and not (need or "replace" in request.GET):
        return _status_page(request, CodeForm(), next_url)  # what is enrolled; replace, remove or cancel
    if request.method == "GET":
        totp = None if saml or need == policy.WEBAUTHN else _new_pending(request)
        return _enrol_page(request, totp, CodeForm(), next_url, need)
    device = None if saml else _pending(request)
    if device is None:
        return _to("mfa-enrol", next_url)
    form = CodeForm(request.POST)
    if not _check(request, device, form, "enrol"):
        return _enrol_page(request, device, form, next_url, need)
    first = not policy.has_device(request.user)
    _confirm(request, device)
    _verified(request, device, "enrol")
    if first or not recovery.remaining(request.user):
        return _codes_page(request, recovery.issue(request.user), next_url)
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


@login_required
@require_http_methods(["POST"])
def remove_passkey(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove one of the person's own passkeys (an old laptop, a lost key), after a recent factor.

    Someone else's passkey answers 404 like a missing one, before anything
    else; the rules (staff keep their last passkey) are ``broker.mfa.own_passkeys``'s.
    """
    own_passkeys.own_or_404(request.user, pk)
    if policy.must_verify(request):  # the sign-in's own factor first, then the step-up
        return _to("mfa-verify", reverse("mfa-enrol"))
    refused = stepup.step_up_response(request)
    if refused is not None:
        return refused
    try:
        own_passkeys.remove(request=request, pk=pk)
    except own_passkeys.Refused as exc:
        return _status_page(request, CodeForm(), reverse("portal"), status=409, passkey_error=str(exc))
    return _no_store(HttpResponseRedirect(f"{reverse('mfa-enrol')}?removed=passkey"))


@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """How many codes are left; a new set (voiding the old) after a recent second factor."""
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if not policy.has_device(request.user):
        return _to("mfa-enrol", next_url)
    if policy.must_verify(request):  # a password alone does not even see the count
        return _to("mfa-verify", reverse("mfa-recovery"))
    if request.method == "POST":
        refused = stepup.step_up_response(request, policy.ANY)
        if refused is not None:
            return refused
        codes = recovery.issue(request.user)
        audit.record_request(RECOVERY_ISSUED, request, method=policy.RECOVERY, count=len(codes))
        return _codes_page(request, codes, next_url)
    context = {"remaining": recovery.remaining(request.user), "next": next_url}
    return _page(request, "mfa/recovery.html", context)


def mfa_required_page(request: HttpRequest, next_url: str = "/", level: str = policy.ANY) -> HttpResponse:
    """403 for a role whose grants need MFA, pointing a browser user to verify or enrol."""
    context = {
        "next_step": policy.next_step_url(request, next_url, level),
        "has_device": policy.has_passkey(request.user)
        if level == policy.WEBAUTHN
        else policy.has_device(request.user),
        "need_passkey": level == policy.WEBAUTHN,
    }
    return _page(request, "mfa/required.html", context, status=403)
