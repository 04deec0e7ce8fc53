"""The grants file: accounts, roles and group grants as YAML or JSON.

Loading is an all-or-nothing upsert: the whole file is checked, then
applied in one transaction, so a bad file changes nothing. Every error
names the key path and, where the parser knows it, the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from federation.models import MFA_ANY, MFA_NONE, MFA_WEBAUTHN, AwsAccount, Grant, Role
from federation.partitions import ROLE_ARN

# Grant.require_mfa as the file spells it: false (left out on export), true, or webauthn.
MFA_FILE_VALUES: dict[str, bool | str] = {MFA_NONE: False, MFA_ANY: True, MFA_WEBAUTHN: "webauthn"}


class GrantsFileError(ValueError):
    """The file cannot be loaded; nothing was changed."""


@dataclass
class Summary:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        counts = (self.created, self.updated, self.unchanged, self.deleted)
        return "{} created, {} updated, {} unchanged, {} deleted".format(*counts)


def _line_map(node: yaml.Node | None, path: str = "", out: dict[str, int] | None = None) -> dict[str, int]:
    """Key path → line number, from the parser's node tree."""
    out = {} if out is None else out
    if node is None:
        return out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            out[child] = key.start_mark.line + 1
            _line_map(value, child, out)
            out[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, f"{path}[{index}]", out)
    return out


class _Reader:
    """Typed access to the parsed document with errors that say where."""

    def __init__(self, lines: dict[str, int]) -> None:
        self.lines = lines

    def fail(self, path: str, message: str) -> GrantsFileError:
        line = self.lines.get(path)
        where = f"{path} (line {line})" if line else path
        return GrantsFileError(f"{where}: {message}")

    def items(self, data: dict[str, Any], key: str) -> list[tuple[str, dict[str, Any]]]:
        value = data.get(key) or []
        if not isinstance(value, list):
            raise self.fail(key, "must be a list")
        result = []
        for index, item in enumerate(value):
            path = f"{key}[{index}]"
            if not isinstance(item, dict):
                raise self.fail(path, "must be a mapping")
            result.append((path, item))
        return result

    def text(self, item: dict[str, Any], path: str, key: str, *, required: bool = True) -> str:
        value = item.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
            raise self.fail(f"{path}.{key}", "is required and must be text")
        return str(value).strip()

    def number(self, item: dict[str, Any], path: str, key: str) -> int | None:
        value = item.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{path}.{key}", "must be a whole number of seconds")
        return value

    def flag(self, item: dict[str, Any], path: str, key: str) -> bool:
        value = item.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(f"{path}.{key}", "must be true or false")
        return value

    def mfa_level(self, item: dict[str, Any], path: str, key: str) -> str:
        """``true`` (any second factor), ``webauthn`` (a passkey or security key) or ``false``."""
        value = item.get(key, False)
        for level, spelled in MFA_FILE_VALUES.items():
            if value is spelled or (isinstance(value, str) and value == spelled):
                return level
        raise self.fail(f"{path}.{key}", "must be true, false or webauthn")

    def mapping(self, item: dict[str, Any], path: str, key: str) -> dict[str, Any] | None:
        value = item.get(key)
        if value is not None and not isinstance(value, dict):
            raise self.fail(f"{path}.{key}", "must be a mapping (a JSON policy object)")
        return value


def parse(text: str) -> tuple[dict[str, Any], _Reader]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "the file"
        raise GrantsFileError(f"{where}: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise GrantsFileError(f"the file is not YAML or JSON: {exc}") from None
    if not isinstance(data, dict):
        raise GrantsFileError("the file must be a mapping with accounts, roles and grants")
    unknown = set(data) - {"accounts", "roles", "grants"}
    reader = _Reader(_line_map(node))
    if unknown:
        raise reader.fail(sorted(unknown)[0], "unknown key (expected accounts, roles, grants)")
    return data, reader


def _save(
    obj: Any, reader: _Reader, path: str, summary: Summary, *, exclude: list[str] | None = None
) -> None:
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


def _load_accounts(data: dict[str, Any], reader: _Reader, summary: Summary) -> dict[str, AwsAccount]:
    accounts: dict[str, AwsAccount] = {}
    for path, item in reader.items(data, "accounts"):
        account_id = reader.text(item, path, "id")
        values = {"name": reader.text(item, path, "name"), "partition": item.get("partition", "aws")}
        account = _upsert(AwsAccount, {"account_id": account_id}, values, summary)
        _save(account, reader, path, summary)
        accounts[account_id] = account
    return accounts


def _role_account(
    item: dict[str, Any], path: str, reader: _Reader, accounts: dict[str, AwsAccount], *, prune: bool
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


def _load_roles(
    data: dict[str, Any], reader: _Reader, accounts: dict[str, AwsAccount], summary: Summary, *, prune: bool
) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    for path, item in reader.items(data, "roles"):
        alias = reader.text(item, path, "alias")
        if alias in roles:
            raise reader.fail(f"{path}.alias", f"{alias!r} is listed twice")
        values = {
            "account": _role_account(item, path, reader, accounts, prune=prune),
            "arn": reader.text(item, path, "arn", required=False),
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
    data: dict[str, Any], reader: _Reader, roles: dict[str, Role], summary: Summary, *, prune: bool
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
        grant = _upsert(Grant, {"group": group, "role": role}, values, summary)
        _save(grant, reader, path, summary)
        kept.add(grant.pk)
    return kept


def load(text: str, *, prune: bool = False) -> Summary:
    data, reader = parse(text)
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


def export() -> dict[str, Any]:
    def role_entry(role: Role) -> dict[str, Any]:
        entry: dict[str, Any] = {"alias": role.alias}
        if role.arn:
            entry["arn"] = role.arn
        else:
            entry["account"] = role.account.account_id
            entry["federation_policy"] = role.federation_policy
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
        return entry

    return {
        "accounts": [
            {
                "id": a.account_id,
                "name": a.name,
                **({"partition": a.partition} if a.partition != "aws" else {}),
            }
            for a in AwsAccount.objects.order_by("account_id")
        ],
        "roles": [role_entry(r) for r in Role.objects.select_related("account").order_by("alias")],
        "grants": [
            grant_entry(g)
            for g in Grant.objects.select_related("group", "role").order_by("group__name", "role__alias")
        ],
    }


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
