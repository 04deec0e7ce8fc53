"""Issue, spend and count recovery codes (the models are in ``broker.mfa.models``).

Codes are 10 characters of an unambiguous alphabet (no 0/O, 1/I/L), shown
as ``xxxxx-xxxxx``: about 48 bits each, typed case-insensitively with or
without the dash. They are shown once, on the page that issues them.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from broker.apitokens import tokens
from broker.mfa.models import RecoveryCode, RecoveryCodes

COUNT = 10
LENGTH = 10
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _digest(user_pk: int, code: str) -> str:
    return tokens.digest(f"recovery:{user_pk}:{code}")


def normalise(typed: str) -> str:
    return "".join(char for char in typed.lower() if char.isalnum())


def looks_like_code(typed: str) -> bool:
    code = normalise(typed)
    return len(code) == LENGTH and all(char in ALPHABET for char in code)


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


@transaction.atomic
def issue(user: object) -> list[str]:
    """A fresh set of codes for ``user`` (any older set is void); the only copy of each code."""
    RecoveryCodes.objects.filter(user=user).delete()
    device = RecoveryCodes.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [_new_code() for _ in range(COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=_digest(user.pk, code)) for code in codes
    )
    return [shown(code) for code in codes]


def device_for(user: object) -> RecoveryCodes | None:
    return RecoveryCodes.objects.filter(user=user, confirmed=True).first()


def remaining(user: object) -> int:
    device = device_for(user)
    return device.remaining() if device else 0


def spend(device: RecoveryCodes, typed: str) -> bool:
    """Mark the code used if it is one of the set's unused codes; True only for the one request that does."""
    if not looks_like_code(typed):
        return False
    digest = _digest(device.user_id, normalise(typed))
    return bool(
        RecoveryCode.objects.filter(device=device, digest=digest, used_at__isnull=True).update(
            used_at=timezone.now()
        )
    )
