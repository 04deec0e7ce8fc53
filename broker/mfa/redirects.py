"""``next`` values: only a path on this site, never another host, scheme or a trick spelling."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def _plain_path(value: str) -> bool:
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return False
    return not any(ord(char) < 0x21 or ord(char) == 0x7F or char == "\\" for char in value)


def safe_next(request: HttpRequest, value: str | None, default: str = "") -> str:
    default = default or reverse("portal")
    if not value or not _plain_path(value):
        return default
    allowed = url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return value if allowed else default
