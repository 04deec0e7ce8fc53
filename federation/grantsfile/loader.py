"""Loading a grants file: an all-or-nothing upsert.

The whole file is checked (every key at every level, see ``schema``), then
applied in one transaction, so a bad file changes nothing. Every error names
the key path and, where the parser knows it, the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from federation.elevation.models import OPTIONAL, REQUIRED, ApprovalRule
from federation.grantsfile.reader import Reader, parse
from federation.grantsfile.schema import check_document
from federation.models import (
    METHODS,
    UNSUPPORTED_METHODS,
    AwsAccount,
    Grant,
    Role,
    default_method,
    unsupported_method,
)
from federation.partitions import ROLE_ARN


@dataclass
class Summary:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        counts = (self.created, self.updated, self.unchanged, self.deleted)
        return "{} created, {} updated, {} unchanged, {} deleted".format(*counts)


def _save(obj: Any, reader: Reader, path: str, summary: Summary, *, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        field_name, messages = next(iter(exc.message_dict.items()))
        raise reader.fail(path, f"{field_name}: {' '.join(messages)}") from None
    obj.save()


def _upsert(model: Any, lookup: dict[str, Any], values: dict[str, Any], summary: Summary) -> Any:
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        summary.created += 1
        return model(**lookup, **values)
    changed = any(getattr(obj, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(obj, name, value)
    if changed:
        summary.updated += 1
    else:
        summary.unchanged += 1
    return obj


def _load_accounts(data: dict[str, Any], reader: Reader, summary: Summary) -> dict[str, AwsAccount]:
    accounts: dict[str, AwsAccount] = {}
    for path, item in reader.items(data, "accounts"):
        account_id = reader.text(item, path, "id")
        values = {
            "name": reader.text(item, path, "name"),
            "partition": item.get("partition", "aws"),
            "saml_provider_arn": reader.text(item, path, "saml_provider_arn", required=False),
        }
        account = _upsert(AwsAccount, {"account_id": account_id}, values, summary)
        _save(account, reader, path, summary)
        accounts[account_id] = account
    return accounts


def _role_account(
    item: dict[str, Any], path: str, reader: Reader, accounts: dict[str, AwsAccount], *, prune: bool
) -> AwsAccount:
    arn = item.get("arn")
    match = ROLE_ARN.match(arn) if isinstance(arn, str) else None
    if arn and match is None:
        raise reader.fail(f"{path}.arn", "is not an IAM role ARN (arn:aws:iam::123456789012:role/Name)")
    account_id = match["account"] if match else reader.text(item, path, "account")
    account = accounts.get(account_id)
    if account is None and not prune:  # with --prune, what the file omits is about to go
        account = AwsAccount.objects.filter(account_id=account_id).first()
    if account is None:
        raise reader.fail(path, f"account {account_id} is not listed under accounts")
    return account


def _method(item: dict[str, Any], path: str, reader: Reader) -> str:
    """The role's ``method``: the contract's default when absent, a known and supported one when given."""
    method = reader.text(item, path, "method", required=False)
    if not method:
        return default_method(reader.text(item, path, "arn", required=False))
    if method in UNSUPPORTED_METHODS:
        raise reader.fail(f"{path}.method", unsupported_method(method))
    known = [name for name, _ in METHODS]
    if method not in known:
        raise reader.fail(f"{path}.method", f"unknown method {method!r}; one of: {', '.join(known)}")
    return method


def _load_roles(
    data: dict[str, Any], reader: Reader, accounts: dict[str, AwsAccount], summary: Summary, *, prune: bool
) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    for path, item in reader.items(data, "roles"):
        alias = reader.text(item, path, "alias")
        if alias in roles:
            raise reader.fail(f"{path}.alias", f"{alias!r} is listed twice")
        values = {
            "account": _role_account(item, path, reader, accounts, prune=prune),
            "arn": reader.text(item, path, "arn", required=False),
            "method": _method(item, path, reader),
            "federation_policy": reader.mapping(item, path, "federation_policy"),
            "max_session_seconds": reader.number(item, path, "max_session_seconds") or 3600,
            "description": reader.text(item, path, "description", required=False),
            "session_tags": reader.mapping(item, path, "session_tags") or {},
        }
        role = _upsert(Role, {"alias": alias}, values, summary)
        _save(role, reader, path, summary)
        roles[alias] = role
    return roles


def _load_grants(
    data: dict[str, Any], reader: Reader, roles: dict[str, Role], summary: Summary, *, prune: bool
) -> set[int]:
    kept: set[int] = set()
    for path, item in reader.items(data, "grants"):
        alias = reader.text(item, path, "role")
        role = roles.get(alias)
        if role is None and not prune:
            role = Role.objects.filter(alias=alias).first()
        if role is None:
            listed = " listed under roles (--prune deletes the others)" if prune else ""
            raise reader.fail(f"{path}.role", f"no role with alias {alias!r}{listed}")
        group, _ = Group.objects.get_or_create(name=reader.text(item, path, "group"))
        values = {
            "session_seconds": reader.number(item, path, "session_seconds"),
            "session_policy": reader.mapping(item, path, "session_policy"),
            "require_mfa": reader.mfa_level(item, path, "require_mfa"),
        }
        counted = (summary.created, summary.updated)
        grant = _upsert(Grant, {"group": group, "role": role}, values, summary)
        _save(grant, reader, path, summary)
        approval_changed = _sync_approval(grant, item.get("approval"), reader, f"{path}.approval")
        if approval_changed and counted == (summary.created, summary.updated):
            summary.unchanged -= 1  # only the approval changed: the grant counts as updated
            summary.updated += 1
        kept.add(grant.pk)
    return kept


def _approval_terms(raw: Any, reader: Reader, path: str) -> dict[str, Any]:
    """The ``approval`` mapping's terms, typed and checked (its keys were checked by ``schema``)."""
    if not isinstance(raw, dict):
        shape = "{approvers: [group, ...], approvals: 1, max_seconds: 3600, justification: required|optional}"
        raise reader.fail(path, f"must be a mapping: {shape}")
    approvers = raw.get("approvers")
    if (
        not isinstance(approvers, list)
        or not approvers
        or not all(isinstance(name, str) and name.strip() for name in approvers)
    ):
        raise reader.fail(f"{path}.approvers", "is required: a list of one or more group names")
    justification = raw.get("justification", REQUIRED)
    if justification not in (REQUIRED, OPTIONAL):
        raise reader.fail(f"{path}.justification", f"must be {REQUIRED} or {OPTIONAL}")
    return {
        "approvers": sorted({name.strip() for name in approvers}),
        "approvals": _given(reader.number(raw, path, "approvals"), 1),
        "max_seconds": _given(reader.number(raw, path, "max_seconds"), 3600),
        "justification": justification,
    }


def _given(value: int | None, default: int) -> int:
    """The file's number, or the default when absent (0 is a value, and refused by the model)."""
    return default if value is None else value


def _sync_approval(grant: Grant, raw: Any, reader: Reader, path: str) -> bool:
    """Make the grant's approval rule what the file says (none: a standing grant). Changed?"""
    rule = ApprovalRule.objects.filter(grant=grant).first()
    if raw is None:
        if rule is None:
            return False
        rule.delete()
        return True
    terms = _approval_terms(raw, reader, path)
    before = None if rule is None else {**_rule_terms(rule)}
    rule = rule or ApprovalRule(grant=grant)
    for name in ("approvals", "max_seconds", "justification"):
        setattr(rule, name, terms[name])
    _save(rule, reader, path, Summary(), exclude=["grant"])
    rule.approvers.set([Group.objects.get_or_create(name=name)[0] for name in terms["approvers"]])
    return before != _rule_terms(rule)


def _rule_terms(rule: ApprovalRule) -> dict[str, Any]:
    return {
        "approvers": rule.approver_names(),
        "approvals": rule.approvals,
        "max_seconds": rule.max_seconds,
        "justification": rule.justification,
    }


def load(text: str, *, prune: bool = False) -> Summary:
    data, reader = parse(text)
    check_document(reader, data)
    summary = Summary()
    with transaction.atomic():
        accounts = _load_accounts(data, reader, summary)
        roles = _load_roles(data, reader, accounts, summary, prune=prune)
        grants = _load_grants(data, reader, roles, summary, prune=prune)
        if prune:
            summary.deleted += Grant.objects.exclude(pk__in=grants).delete()[0]
            summary.deleted += Role.objects.exclude(alias__in=roles).delete()[0]
            summary.deleted += AwsAccount.objects.exclude(account_id__in=accounts).delete()[0]
    return summary
