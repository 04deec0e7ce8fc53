"""Audit every change to an approval rule (admin, grants file or shell), like grant changes.

Turning a standing grant into an eligible one, or back, changes who can
use a role without approval: it belongs in the trail as ``grant.changed``.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from broker import audit
from federation.elevation.models import ApprovalRule


def _record(rule: ApprovalRule, change: str) -> None:
    grant = rule.grant
    audit.record(
        "grant.changed",
        role_alias=grant.role.alias,
        change=change,
        group=grant.group.name,
        approvals=rule.approvals,
        max_seconds=rule.max_seconds,
        justification=rule.justification,
    )


@receiver(post_save, sender=ApprovalRule)
def _saved(sender: Any, instance: ApprovalRule, created: bool, **kwargs: Any) -> None:
    _record(instance, "approval set" if created else "approval updated")


@receiver(post_delete, sender=ApprovalRule)
def _deleted(sender: Any, instance: ApprovalRule, **kwargs: Any) -> None:
    _record(instance, "approval removed (standing grant)")


@receiver(m2m_changed, sender=ApprovalRule.approvers.through)
def _approvers(sender: Any, instance: ApprovalRule, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        _record(instance, f"approvers now {', '.join(instance.approver_names()) or 'none'}")
