"""What the portal's role page shows about elevation: eligible roles, their terms, my open request."""

from __future__ import annotations

import json
import shlex
from typing import Any

from django.conf import settings
from django.utils import timezone

from broker.principal import Principal
from federation import access
from federation.elevation.models import AccessRequest

DURATION_CHOICES = [900, 1800, 3600, 7200, 14400, 28800, 43200, 86400]
OPEN = [AccessRequest.State.PENDING, AccessRequest.State.ACTIVE]


def _label(seconds: int) -> str:
    return f"{seconds // 3600} h" if seconds % 3600 == 0 else f"{seconds // 60} min"


def _durations(max_seconds: int) -> list[tuple[int, str]]:
    return [(s, _label(s)) for s in sorted({s for s in DURATION_CHOICES if s <= max_seconds} | {max_seconds})]


def eligible_for(principal: Principal) -> list[dict[str, Any]]:
    """What the portal shows beside standing roles: each eligible role, its terms, my open request."""
    open_requests = {
        r.role_id: r for r in AccessRequest.objects.filter(requester_name=principal.username, state__in=OPEN)
    }
    now = timezone.now()
    return [
        {
            "rule": rule,
            "role": rule.grant.role,
            "durations": _durations(rule.max_seconds),
            "open": open_requests.get(rule.grant.role_id),
            "left": open_requests[rule.grant.role_id].seconds_left(now)
            if rule.grant.role_id in open_requests
            else 0,
            "curl": _curl(rule.grant.role.alias, min(3600, rule.max_seconds)),
        }
        for rule in access.eligible_rules(principal)
    ]


def _curl(alias: str, seconds: int) -> str:
    body = json.dumps({"role": alias, "duration_seconds": seconds, "justification": "why", "ticket": ""})
    return (
        f"curl -sS -X POST {settings.BROKER_BASE_URL}/api/v1/access-requests/ "
        f'-H "Authorization: Bearer $BROKER_TOKEN" -H "Content-Type: application/json" -d {shlex.quote(body)}'
    )
