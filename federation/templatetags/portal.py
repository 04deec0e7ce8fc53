"""Words people use, not the API's: role kinds and durations in the portal and the admin."""

from __future__ import annotations

from django import template

from broker.labels import method_words
from federation.models import WEB_IDENTITY

register = template.Library()


@register.filter
def method_label(method: str) -> str:
    return method_words(method)


@register.filter
def wants_id_token(role: object, has_id_token: bool) -> bool:
    """A web-identity role seen by a sign-in without its own ID token: shown, but not usable here."""
    return getattr(role, "method", "") == WEB_IDENTITY and not has_id_token


@register.filter
def duration(seconds: int | None) -> str:
    """``14400`` → ``4 h``; ``5400`` → ``1 h 30 min``; ``900`` → ``15 min``."""
    if not seconds:
        return ""
    hours, minutes = divmod(int(seconds) // 60, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(part for part in parts if part) or f"{int(seconds)} s"


@register.simple_tag(takes_context=True)
def aws_config_profiles(context: template.Context, prefix: str = "broker-") -> str:
    """The signed-in person's ``~/.aws/config`` profiles, one per role they hold, ready to paste.

    Each runs ``credential_process`` through the personal-token header file, so
    the token stays out of the config and out of ``ps``. Empty for nobody signed in.
    """
    from django.conf import settings

    from broker.principal import Principal
    from federation.access import entitlements

    user = context.get("user")
    if user is None or not user.is_authenticated:
        return ""
    base = settings.BROKER_BASE_URL
    blocks = [
        f"[profile {prefix}{e.role.alias}]\n"
        f'credential_process = sh -c \'curl -fsS -H @"$HOME/.aws/broker.header" '
        f"{base}/api/v1/roles/{e.role.alias}/credentials?format=process'"
        for e in entitlements(Principal.from_user(user))
    ]
    return "\n\n".join(blocks)
