"""Re-check a directory user's groups before credentials are issued.

Groups are mirrored at sign-in, but a portal session lasts hours. So that
removing someone from a directory group takes their roles away within
minutes rather than at their next sign-in, ``principal_for`` calls
``recheck_groups`` before every access decision: when the mirrored groups
are older than ``DIRECTORY_RECHECK_SECONDS`` (300 s by default) the
directory is asked again with the service account. A user who is no longer
in the directory loses every group. A directory that cannot answer raises
``DirectoryUnavailable`` (a 503): stale groups never issue credentials.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from broker.groups import mirror_groups
from broker.models import DirectoryProfile

log = logging.getLogger(__name__)
DEFAULT_WINDOW_SECONDS = 300


def _window() -> timedelta:
    return timedelta(seconds=getattr(settings, "DIRECTORY_RECHECK_SECONDS", DEFAULT_WINDOW_SECONDS))


def _forget_cached_profile(user: Any) -> None:
    """``user.directory`` may hold the row read before the re-check."""
    related = DirectoryProfile._meta.get_field("user").remote_field
    if related.is_cached(user):
        related.delete_cached_value(user)


def recheck_groups(user: Any) -> None:
    """Refresh a directory user's groups and attributes when the window has passed."""
    if not getattr(settings, "AUTH_LDAP_SERVER_URI", "") or not getattr(user, "pk", None):
        return
    profile = DirectoryProfile.objects.filter(user=user, source="ldap").first()
    if profile is None:
        return
    if profile.groups_checked_at and timezone.now() - profile.groups_checked_at < _window():
        return
    from broker.directory.backend import DirectoryBackend  # loads python-ldap only when needed

    if DirectoryBackend().populate_user(user.get_username()) is None:
        log.warning(
            "directory re-check: %r is no longer in the directory; removing its groups", user.username
        )
        mirror_groups(user, [])
        profile.attributes = {}
        profile.groups_checked_at = timezone.now()
        profile.save(update_fields=["attributes", "groups_checked_at"])
    _forget_cached_profile(user)
