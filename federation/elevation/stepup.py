"""The fresh second factor an approver shows before approving or denying.

One function per door. MFA is *on* for a person when ``BROKER_REQUIRE_MFA`` is
set or they have enrolled a factor, and then the portal session must have
shown one within ``BROKER_STEP_UP_SECONDS`` (``broker.mfa.stepup``, the same
rule as revocation and grant changes: a session verified an hour ago and left
open is not enough to approve). A personal API token carries no second
factor, so with MFA on it cannot approve or deny.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from broker.mfa import policy
from broker.mfa import stepup as mfa_stepup


def mfa_on(user: Any) -> bool:
    return bool(settings.BROKER_REQUIRE_MFA) or policy.has_device(user)


def portal_stepped_up(request: HttpRequest) -> bool:
    """A portal session may approve: MFA is off for this person, or it showed a factor just now."""
    return mfa_stepup.recent(request) or not mfa_on(request.user)


def token_stepped_up(subject: str) -> bool:
    """A personal token may approve only for a person without MFA (it cannot show a factor)."""
    kind, _, ident = subject.partition(":")
    user = get_user_model().objects.filter(pk=ident).first() if kind == "user" and ident.isdigit() else None
    return user is not None and not mfa_on(user)
