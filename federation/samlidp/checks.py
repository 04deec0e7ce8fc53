"""Start-up checks: a saml role without a usable signing key stops a production start.

Run by ``manage.py check`` (and so by ``runserver``/``migrate``; gunicorn's
start script runs ``check --deploy``). In debug the generated development
pair is used instead, so the demo needs no set-up.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

from federation.samlidp import keys


def _saml_roles() -> bool:
    from federation.models import SAML, Role

    try:
        return Role.objects.filter(method=SAML).exists()
    except DatabaseError:  # not migrated yet: nothing to sign for
        return False


@checks.register(checks.Tags.security, deploy=False)
def signing_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.DEBUG or not _saml_roles():
        return []
    try:
        pair = keys.signing_pair()
    except keys.SigningKeyUnavailable as exc:
        return [checks.Error(str(exc), hint="see README, Keyless federation", id="federation.E101")]
    if pair.bits < keys.MIN_RSA_BITS:
        return [
            checks.Error(
                f"the AWS SAML signing key has {pair.bits} bits; use RSA of {keys.MIN_RSA_BITS} or more",
                id="federation.E102",
            )
        ]
    return []
