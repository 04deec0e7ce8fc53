"""An administrator resets a person's second factors (a lost phone and lost recovery codes).

Every passkey, authenticator app and recovery code of the person is removed
in one transaction with its audit row; at their next password sign-in they
enrol again (or, with BROKER_REQUIRE_MFA off, simply have no factor). The
admin action wants a recent second factor from the administrator (step-up),
and nobody resets their own factors this way (they use the enrolment page,
which asks for the current factor first).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from broker import audit
from broker.mfa.models import RecoveryCodes
from broker.mfa.stepup import step_up_required
from broker.netaddr import client_ip

RESET = "mfa.reset"


@transaction.atomic
def reset_factors(*, user: Any, actor: str, source_ip: str | None) -> dict[str, int]:
    """Remove every factor of ``user``; the counts removed, audited (no audit row, nothing removed)."""
    removed = {
        "passkeys": WebAuthnCredential.objects.filter(user=user).delete()[0],
        "authenticator_apps": TOTPDevice.objects.filter(user=user).delete()[0],
        "recovery_codes": RecoveryCodes.objects.filter(user=user).delete()[1].get("mfa.RecoveryCode", 0),
    }
    audit.record(RESET, actor=actor, source_ip=source_ip, user=user.get_username(), **removed)
    return removed


@admin.action(
    description="Reset second factors (passkeys, authenticator app, recovery codes)", permissions=["change"]
)
@step_up_required
def reset_factors_action(model_admin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    actor, source_ip = request.user.get_username(), client_ip(request)
    for user in queryset:
        if user.pk == request.user.pk:
            messages.error(request, f"{user.get_username()}: reset your own factors from the MFA page")
            continue
        removed = reset_factors(user=user, actor=actor, source_ip=source_ip)
        summary = ", ".join(f"{count} {what.replace('_', ' ')}" for what, count in removed.items())
        messages.success(request, f"{user.get_username()}: second factors reset ({summary})")
