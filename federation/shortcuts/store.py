"""Reading and writing a person's favourites and recent roles.

``pick`` never widens anything: it only selects, from the entitlements the
access decision already gave, those the person marked or used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from federation.access import Entitlement
from federation.models import Role
from federation.shortcuts.models import FavouriteRole, RecentRole

RECENT_KEPT = 5


def favourite_ids(user: Any) -> set[int]:
    return set(FavouriteRole.objects.filter(user=user).values_list("role_id", flat=True))


def recent_ids(user: Any) -> list[int]:
    return list(RecentRole.objects.filter(user=user).values_list("role_id", flat=True)[:RECENT_KEPT])


def pick(mine: Sequence[Entitlement], role_ids: Sequence[int]) -> list[Entitlement]:
    """The entitlements among ``mine`` whose role is in ``role_ids``, in the order of ``role_ids``."""
    by_id = {e.role.pk: e for e in mine}
    return [by_id[pk] for pk in role_ids if pk in by_id]


def favourites(user: Any, mine: Sequence[Entitlement]) -> list[Entitlement]:
    """The person's favourites they can still use, by account then alias as the portal lists them."""
    marked = favourite_ids(user)
    return [e for e in mine if e.role.pk in marked]


def set_favourite(user: Any, role: Role, *, on: bool) -> None:
    if on:
        FavouriteRole.objects.get_or_create(user=user, role=role)
    else:
        FavouriteRole.objects.filter(user=user, role=role).delete()


def record_use(user: Any, alias: str) -> None:
    """Remember that ``user`` just used the role ``alias``; only the last few are kept."""
    role = Role.objects.filter(alias=alias).first()
    if role is None:  # deleted in between: nothing to remember
        return
    RecentRole.objects.update_or_create(user=user, role=role, defaults={"used_at": timezone.now()})
    stale = RecentRole.objects.filter(user=user).values_list("pk", flat=True)[RECENT_KEPT:]
    RecentRole.objects.filter(pk__in=list(stale)).delete()
