"""The fresh second factor an approver shows before approving or denying.

One function per door, so that when ``broker/mfa/`` gains its step-up
decorator (issue #17) only these two bodies change. Until then: MFA is *on*
for a person when ``BROKER_REQUIRE_MFA`` is set or they have enrolled an
authenticator, and then the portal session must have verified a TOTP code
(or signed in through the SAML IdP, whose MFA is trusted). A personal API
token carries no second factor, so with MFA on it cannot approve or deny.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from broker.mfa import policy


def mfa_on(user: Any) -> bool:
    return bool(settings.BROKER_REQUIRE_MFA) or policy.has_device(user)


def portal_stepped_up(request: HttpRequest) -> bool:
    """A portal session may approve: MFA is off for this person, or the session shows a factor."""
    return bool(policy.factor(request)) or not mfa_on(request.user)


def token_stepped_up(subject: str) -> bool:
    """A personal token may approve only for a person without MFA (it cannot show a factor)."""
    kind, _, ident = subject.partition(":")
    user = get_user_model().objects.filter(pk=ident).first() if kind == "user" and ident.isdigit() else None
    return user is not None and not mfa_on(user)
