"""Personal API tokens: employees make their own for ``credential_process``.

A personal token acts as the employee (their groups decide, re-checked at
every use), lives at most ``BROKER_PERSONAL_TOKEN_MAX_DAYS`` and is shown
exactly once, on the answer to the POST that created it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from broker.apitokens import tokens
from broker.apitokens.models import ApiToken

LIFETIME_CHOICES = [1, 7, 30, 90]
_MAX_ID_DIGITS = 18  # a bigint; a longer number would overflow the column, not name a token


class BadRevokeId(ValueError):
    """The form named no token id at all (not a number): the page answers 400."""


def _lifetimes() -> list[int]:
    cap = settings.BROKER_PERSONAL_TOKEN_MAX_DAYS
    return sorted({days for days in LIFETIME_CHOICES if days <= cap} | {cap})


def _create(request: HttpRequest) -> str:
    raw_days = request.POST.get("days", "")
    days = int(raw_days) if raw_days.isdigit() else 0
    if not 1 <= days <= settings.BROKER_PERSONAL_TOKEN_MAX_DAYS:
        raise ValueError(f"choose a lifetime of 1 to {settings.BROKER_PERSONAL_TOKEN_MAX_DAYS} days")
    label = request.POST.get("label", "").strip()[:100] or "laptop"
    _, raw = tokens.mint(user=request.user, label=label, expires_at=timezone.now() + timedelta(days=days))
    return raw


def _revoke(request: HttpRequest) -> None:
    """Revoke one of the employee's own tokens; any other id is 404, whether or not it exists."""
    raw = request.POST["revoke"].strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= _MAX_ID_DIGITS):
        raise BadRevokeId(f"{raw[:20]!r} is not a token id; use the Revoke button beside the token")
    token = get_object_or_404(ApiToken, pk=int(raw), user=request.user)
    tokens.revoke(token, actor=request.user.get_username())


@login_required
@require_http_methods(["GET", "POST"])
def personal_tokens(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"lifetimes": _lifetimes(), "base_url": settings.BROKER_BASE_URL}
    status = 200
    try:
        if request.method == "POST" and "revoke" in request.POST:
            _revoke(request)
        elif request.method == "POST":
            context["new_token"] = _create(request)
    except ValueError as exc:
        context["error"] = str(exc)
        status = 400 if isinstance(exc, BadRevokeId) else 200
    context["tokens"] = ApiToken.objects.filter(user=request.user, revoked_at__isnull=True)
    response = render(request, "broker/tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response
