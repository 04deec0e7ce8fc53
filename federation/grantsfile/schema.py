"""The keys a grants file may hold, level by level, and the check that refuses any other.

An access-control file must not ignore what it does not understand: a typo
(``metod: saml``) or a key from a newer format (``approval:`` on a grant) that
is silently dropped turns what the author meant, an approval gate or a keyless
method, into plain standing access. So every mapping the format defines is
checked against its list before anything is written, and the error names the
key, its path and line, the keys allowed there, and the closest known key.

Keys that the design reserves for capabilities this version does not have
(``LATER``) are refused with "not supported by this version": an older broker
handed a newer file must say so, not half-apply it. A capability that lands
moves its key from ``later`` to ``keys``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from federation.grantsfile.reader import Reader, child_path
from federation.policies import POLICY_KEYS, STATEMENT_KEYS


@dataclass(frozen=True)
class Level:
    """One kind of mapping in the file: the keys it takes, and those reserved for later."""

    keys: tuple[str, ...]
    later: Mapping[str, str] = field(default_factory=dict)  # key → the capability that gives it meaning


TOP = Level(("accounts", "roles", "grants"))
ACCOUNT = Level(("id", "name", "partition", "saml_provider_arn"))
ROLE = Level(
    (
        "alias",
        "arn",
        "account",
        "method",
        "max_session_seconds",
        "description",
        "federation_policy",
        "session_tags",
    ),
)
GRANT = Level(
    ("group", "role", "session_seconds", "session_policy", "require_mfa"),
    later={"approval": "just-in-time elevation with approval"},
)
POLICY = Level(POLICY_KEYS)
STATEMENT = Level(STATEMENT_KEYS)


def check_keys(reader: Reader, item: Mapping[Any, Any], path: str, level: Level) -> None:
    """Refuse the first key (in file order) that ``level`` does not take."""
    for key in item:
        if key in level.keys:
            continue
        where = child_path(path, key)
        if key in level.later:
            raise reader.fail(where, f"not supported by this version ({level.later[key]} is not built yet)")
        close = difflib.get_close_matches(str(key), [*level.keys, *level.later], n=1, cutoff=0.6)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        raise reader.fail(where, f"unknown key{hint}; allowed: {', '.join(level.keys)}")


def _check_policy(reader: Reader, policy: Any, path: str) -> None:
    """Policy documents are IAM's format: AWS refuses unknown elements, so do we, earlier."""
    if not isinstance(policy, dict):
        return  # the loader reports the wrong type with its own message
    check_keys(reader, policy, path, POLICY)
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        check_keys(reader, statements, f"{path}.Statement", STATEMENT)
    elif isinstance(statements, list):
        for index, statement in enumerate(statements):
            if isinstance(statement, dict):
                check_keys(reader, statement, f"{path}.Statement[{index}]", STATEMENT)


def _check_list(
    reader: Reader, data: dict[str, Any], key: str, level: Level, policies: tuple[str, ...]
) -> None:
    for path, item in reader.items(data, key):
        check_keys(reader, item, path, level)
        for name in policies:
            _check_policy(reader, item.get(name), f"{path}.{name}")


def check_document(reader: Reader, data: dict[str, Any]) -> None:
    """Every key at every level the format defines, before anything is written."""
    check_keys(reader, data, "", TOP)
    _check_list(reader, data, "accounts", ACCOUNT, ())
    _check_list(reader, data, "roles", ROLE, ("federation_policy",))
    _check_list(reader, data, "grants", GRANT, ("session_policy",))
