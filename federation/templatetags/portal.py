"""Words people use, not the API's: role kinds and durations in the portal and the admin."""

from __future__ import annotations

from django import template

register = template.Library()

METHOD_LABELS = {
    "assume_role": "IAM role",
    "federation_token": "Federated user",
    "saml": "IAM role via SSO",
    "web_identity": "IAM role via your identity provider",
}


@register.filter
def method_label(method: str) -> str:
    return METHOD_LABELS.get(method, method.replace("_", " "))


@register.filter
def duration(seconds: int | None) -> str:
    """``14400`` → ``4 h``; ``5400`` → ``1 h 30 min``; ``900`` → ``15 min``."""
    if not seconds:
        return ""
    hours, minutes = divmod(int(seconds) // 60, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(part for part in parts if part) or f"{int(seconds)} s"
