"""Audit every grant change, whether it came from the admin, a file or a shell."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from broker import audit
from federation.models import Grant


def _record(grant: Grant, change: str) -> None:
    audit.record(
        "grant.changed",
        role_alias=grant.role.alias,
        change=change,
        group=grant.group.name,
        session_seconds=grant.session_seconds,
        scoped=bool(grant.session_policy),
    )


@receiver(post_save, sender=Grant)
def _grant_saved(sender: Any, instance: Grant, created: bool, **kwargs: Any) -> None:
    _record(instance, "created" if created else "updated")


@receiver(post_delete, sender=Grant)
def _grant_deleted(sender: Any, instance: Grant, **kwargs: Any) -> None:
    _record(instance, "deleted")
