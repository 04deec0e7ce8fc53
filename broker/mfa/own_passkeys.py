"""A person's own passkeys on their MFA page: the list, and removing one.

Someone who replaced a laptop or lost a security key should not need an
admin to forget it (the admin's reset removes *every* factor). The rules:

- only the person's own confirmed passkeys are listed or removed; another
  person's passkey id answers 404 exactly like a missing one, so ids reveal
  nothing (``own_or_404``);
- the view asks for a recent second factor first (``broker.mfa.stepup``);
- staff under ``BROKER_STAFF_REQUIRE_WEBAUTHN`` cannot remove their last
  passkey: the admin wants one from them, and without it the next passkey
  enrolled on the account (by whoever holds its password, if no other factor
  is left) would be the one that opens the admin. They add the new key
  first, then remove the old;
- removing the last factor of any kind is allowed, as removing the
  authenticator app is (``views.remove``): the person lands on enrolment,
  which ``BROKER_REQUIRE_MFA`` makes them finish before any other page;
- the check and the delete run in one transaction holding the person's
  passkey rows (``SELECT ... FOR UPDATE``), so two removals at once cannot
  both pass the "not the last one" check;
- each removal is audited as ``mfa.removed``, method ``webauthn``, naming the
  passkey by its database id (as ``mfa.enrolled`` does), never by its
  credential id or public key. An audit row that cannot be written leaves
  the passkey in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest
from django_otp_webauthn.models import WebAuthnCredential

from broker import audit
from broker.mfa import policy
from broker.mfa.passkeys import REMOVED

STAFF_LAST = (
    "This is your only passkey and the admin requires one from staff: add a new passkey or security key "
    "first, then remove this one."
)
# How an authenticator told the browser it can be reached (WebAuthn's AuthenticatorTransport).
TRANSPORTS = {"usb": "USB", "nfc": "NFC", "ble": "Bluetooth", "hybrid": "phone", "internal": "built in"}


class Refused(Exception):
    """Policy keeps this passkey; the message says what to do instead."""


@dataclass(frozen=True)
class Listed:
    """One row of the person's passkey list."""

    pk: int
    label: str
    created_at: datetime | None
    last_used_at: datetime | None
    this_session: bool  # the passkey this session was verified with
    last_factor: bool  # removing it leaves no passkey and no authenticator app
    kept_because: str  # why it cannot be removed, "" when it can


def own_or_404(user: Any, pk: int) -> WebAuthnCredential:
    """The person's own passkey ``pk``; anyone else's answers like a missing one."""
    credential = policy.passkeys(user).filter(pk=pk).first()
    if credential is None:
        raise Http404("no such passkey")
    return credential


def label(credential: WebAuthnCredential) -> str:
    """Its name when it has one (the library sets none), else what kind of key it looks like."""
    if credential.name:
        return credential.name
    kind = "Synced passkey" if credential.backup_eligible else "Passkey or security key"
    via = ", ".join(TRANSPORTS.get(transport, transport) for transport in credential.transports or [])
    return f"{kind} ({via})" if via else kind


def keeps_last(user: Any) -> bool:
    """Whether policy wants this person to keep at least one passkey."""
    return bool(user.is_staff) and policy.staff_level(user) == policy.WEBAUTHN


def listed(request: HttpRequest) -> list[Listed]:
    user = request.user
    credentials = list(policy.passkeys(user).order_by("created_at", "pk"))
    current = getattr(user, "otp_device", None)
    only_one = len(credentials) == 1
    kept = STAFF_LAST if only_one and keeps_last(user) else ""
    last_factor = only_one and not policy.has_totp(user)
    return [
        Listed(
            pk=credential.pk,
            label=label(credential),
            created_at=credential.created_at,
            last_used_at=credential.last_used_at,
            this_session=isinstance(current, WebAuthnCredential) and current.pk == credential.pk,
            last_factor=last_factor,
            kept_because=kept,
        )
        for credential in credentials
    ]


@transaction.atomic
def remove(*, request: HttpRequest, pk: int) -> int:
    """Delete the person's passkey ``pk`` and audit it; returns how many passkeys they have left.

    Raises ``Http404`` when it is not theirs (or is gone), ``Refused`` when policy keeps it.
    """
    user = request.user
    held = list(policy.passkeys(user).select_for_update().values_list("pk", flat=True))
    if pk not in held:
        raise Http404("no such passkey")
    if len(held) == 1 and keeps_last(user):
        raise Refused(STAFF_LAST)
    policy.passkeys(user).filter(pk=pk).delete()
    left = len(held) - 1
    audit.record_request(
        REMOVED,
        request,
        method=policy.WEBAUTHN,
        credential=pk,
        passkeys_left=left,
        last_factor=not (left or policy.has_totp(user)),
    )
    return left
