"""Mirror an identity source's groups onto a user's Django groups.

Grants are keyed by group name, so mirroring at each sign-in (removals
included) makes a directory or IdP change take effect without an admin.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from broker.models import DirectoryProfile


@transaction.atomic
def mirror_groups(user: Any, names: Iterable[str]) -> set[str]:
    """Make the user's groups exactly ``names``; returns the names now held."""
    wanted = {name.strip() for name in names if name and name.strip()}
    groups = [Group.objects.get_or_create(name=name)[0] for name in sorted(wanted)]
    user.groups.set(groups)
    return wanted


@transaction.atomic
def mirror_sign_in(user: Any, *, source: str, groups: Iterable[str], attributes: dict[str, str]) -> Any:
    """What an identity provider said at sign-in: the groups (removals too), and the attributes
    kept for session tags, stamped now so the access decision knows how fresh they are."""
    mirror_groups(user, groups)
    DirectoryProfile.objects.update_or_create(
        user=user, defaults={"source": source, "attributes": attributes, "groups_checked_at": timezone.now()}
    )
    return user
