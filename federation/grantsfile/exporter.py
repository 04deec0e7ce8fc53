"""Exporting the grants file: what ``exportgrants`` prints, which loads back unchanged."""

from __future__ import annotations

from typing import Any

import yaml

from federation.grantsfile.reader import MFA_FILE_VALUES
from federation.models import AwsAccount, Grant, Role, default_method


def export() -> dict[str, Any]:
    def role_entry(role: Role) -> dict[str, Any]:
        entry: dict[str, Any] = {"alias": role.alias}
        if role.arn:
            entry["arn"] = role.arn
        else:
            entry["account"] = role.account.account_id
            entry["federation_policy"] = role.federation_policy
        if role.method != default_method(role.arn):
            entry["method"] = role.method
        entry["max_session_seconds"] = role.max_session_seconds
        if role.description:
            entry["description"] = role.description
        if role.session_tags:
            entry["session_tags"] = role.session_tags
        return entry

    def grant_entry(grant: Grant) -> dict[str, Any]:
        entry: dict[str, Any] = {"group": grant.group.name, "role": grant.role.alias}
        if grant.session_seconds:
            entry["session_seconds"] = grant.session_seconds
        if grant.session_policy:
            entry["session_policy"] = grant.session_policy
        if grant.require_mfa:
            entry["require_mfa"] = MFA_FILE_VALUES[grant.require_mfa]
        rule = getattr(grant, "approval", None)
        if rule is not None:
            entry["approval"] = {
                "approvers": rule.approver_names(),
                "approvals": rule.approvals,
                "max_seconds": rule.max_seconds,
                "justification": rule.justification,
            }
        return entry

    return {
        "accounts": [
            {
                "id": a.account_id,
                "name": a.name,
                **({"partition": a.partition} if a.partition != "aws" else {}),
                **({"saml_provider_arn": a.saml_provider_arn} if a.saml_provider_arn else {}),
            }
            for a in AwsAccount.objects.order_by("account_id")
        ],
        "roles": [role_entry(r) for r in Role.objects.select_related("account").order_by("alias")],
        "grants": [
            grant_entry(g)
            for g in Grant.objects.select_related("group", "role", "approval").order_by(
                "group__name", "role__alias"
            )
        ],
    }


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
