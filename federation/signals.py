"""Audit every grant change, whether it came from the admin, a file or a shell.

A save that changes nothing (a grants file loaded again) is not a change
and leaves no event."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
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


def _terms(grant: Grant) -> dict[str, Any]:
    return {field.attname: getattr(grant, field.attname) for field in Grant._meta.concrete_fields}


@receiver(pre_save, sender=Grant)
def _grant_saving(sender: Any, instance: Grant, **kwargs: Any) -> None:
    before = Grant.objects.filter(pk=instance.pk).first() if instance.pk else None
    instance._audit_unchanged = before is not None and _terms(before) == _terms(instance)  # type: ignore[attr-defined]


@receiver(post_save, sender=Grant)
def _grant_saved(sender: Any, instance: Grant, created: bool, **kwargs: Any) -> None:
    if not getattr(instance, "_audit_unchanged", False):
        _record(instance, "created" if created else "updated")


@receiver(post_delete, sender=Grant)
def _grant_deleted(sender: Any, instance: Grant, **kwargs: Any) -> None:
    _record(instance, "deleted")
