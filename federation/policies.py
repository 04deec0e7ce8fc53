"""Session and federation policies: checked before they reach STS.

STS refuses a malformed or oversized policy with an opaque error after a
network round trip; checking here gives the admin or caller a reason that
names the fault, and keeps a 500 impossible.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_POLICY_CHARS = 2048
_VERSIONS = {"2012-10-17", "2008-10-17"}
_ALLOWED_CHARS = re.compile(r"^[\u0009\u000a\u000d\u0020-\u00ff]*$")
# The elements IAM's policy grammar defines; AWS refuses a policy with any other.
POLICY_KEYS = ("Version", "Id", "Statement")
STATEMENT_KEYS = (
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource",
    "Condition",
)  # fmt: skip


class PolicyError(ValueError):
    """The policy cannot be sent to STS; the message says why."""


def parse_policy(value: Any) -> dict[str, Any]:
    """Accept a dict or JSON text from a form or an API body."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise PolicyError(f"the policy is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(value, dict):
        raise PolicyError("the policy must be a JSON object")
    validate_policy(value)
    return value


def validate_policy(policy: Any) -> str:
    """Return the compact JSON STS will receive, or raise ``PolicyError``."""
    if not isinstance(policy, dict):
        raise PolicyError("the policy must be a JSON object")
    _refuse_unknown(policy, POLICY_KEYS, "the policy")
    if policy.get("Version") not in _VERSIONS:
        raise PolicyError('the policy needs "Version": "2012-10-17"')
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise PolicyError("the policy needs at least one Statement")
    for index, statement in enumerate(statements):
        if isinstance(statement, dict):
            _refuse_unknown(statement, STATEMENT_KEYS, f"Statement[{index}]")
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            raise PolicyError(f'Statement[{index}] needs "Effect": "Allow" or "Deny"')
        if not ({"Action", "NotAction"} & statement.keys()):
            raise PolicyError(f"Statement[{index}] needs an Action or NotAction")
    compact = compact_text(policy)
    if len(compact) > MAX_POLICY_CHARS:
        raise PolicyError(
            f"the policy is {len(compact)} characters; AWS allows {MAX_POLICY_CHARS} for a session policy"
        )
    if not _ALLOWED_CHARS.match(compact):
        raise PolicyError("the policy has characters AWS does not accept in a policy")
    return compact


def compact_text(policy: dict[str, Any]) -> str:
    """A session policy as STS receives it: compact JSON, the form whose size AWS counts."""
    return json.dumps(policy, separators=(",", ":"))


def _refuse_unknown(element: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    """A misspelt element would be refused by STS after a round trip: name it here instead."""
    unknown = [key for key in element if key not in allowed]
    if unknown:
        known = ", ".join(allowed)
        raise PolicyError(f"{where} has an element AWS does not know: {unknown[0]!r} (allowed: {known})")
