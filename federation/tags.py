"""AWS session tags from the principal's directory attributes.

An admin maps tag keys to attribute names per role (``Role.session_tags``,
e.g. ``{"Department": "departmentNumber"}``); AssumeRole then carries the
user's values so IAM policies can decide on ``aws:PrincipalTag/Department``.

AWS's limits are checked here, before STS sees them: at most 50 tags, keys
of 1 to 128 and values of at most 256 characters drawn from letters,
digits, spaces and ``_ . : / = + - @``; keys must not start with ``aws:``
and may not repeat in another letter case. A user without the attribute
simply gets no such tag. A value AWS would refuse stops the issuance with
the reason rather than being rewritten, because a rewritten value could
match another team's tag in a policy condition.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from broker.principal import Principal

MAX_TAGS = 50
MAX_KEY_CHARS = 128
MAX_VALUE_CHARS = 256
_PUNCTUATION = set("_.:/=+-@")


class SessionTagError(ValueError):
    """A tag mapping or a tag value AWS would refuse; the message says which."""


def _allowed(text: str) -> bool:
    return all(
        char.isalnum() or char in _PUNCTUATION or unicodedata.category(char).startswith("Z") for char in text
    )


def check_mapping(mapping: Any) -> None:
    """Refuse a ``Role.session_tags`` value AWS could never accept."""
    if not isinstance(mapping, Mapping):
        raise SessionTagError("session tags must map tag keys to attribute names")
    if len(mapping) > MAX_TAGS:
        raise SessionTagError(f"at most {MAX_TAGS} session tags, not {len(mapping)}")
    seen: set[str] = set()
    for key, attribute in mapping.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_CHARS or not _allowed(key):
            raise SessionTagError(
                f"tag key {key!r} must be 1 to {MAX_KEY_CHARS} letters, digits, spaces or _.:/=+-@"
            )
        if key.lower().startswith("aws:"):
            raise SessionTagError(f"tag key {key!r} may not start with aws:")
        if key.lower() in seen:
            raise SessionTagError(f"tag key {key!r} is listed twice (AWS ignores letter case)")
        seen.add(key.lower())
        if not isinstance(attribute, str) or not attribute.strip():
            raise SessionTagError(f"tag {key!r} must name a directory attribute")


def _lookup(attributes: Mapping[str, str], name: str) -> str:
    """Attribute names are case-insensitive in LDAP; so is this lookup."""
    if name in attributes:
        return str(attributes[name])
    wanted = name.lower()
    return next((str(value) for key, value in attributes.items() if key.lower() == wanted), "")


def session_tags(mapping: Mapping[str, str], principal: Principal) -> dict[str, str]:
    """The ``Tags`` for one AssumeRole call: mapped attributes the user has."""
    if not mapping:
        return {}
    check_mapping(mapping)
    tags: dict[str, str] = {}
    # Sorted: PostgreSQL's jsonb does not keep key order, and a request should not depend on it.
    for key, attribute in sorted(mapping.items()):
        value = _lookup(principal.attributes, attribute)
        if not value:
            continue
        if len(value) > MAX_VALUE_CHARS or not _allowed(value):
            raise SessionTagError(
                f"{principal.username}'s {attribute} cannot be the session tag {key}: AWS allows at most"
                f" {MAX_VALUE_CHARS} letters, digits, spaces or _.:/=+-@"
            )
        tags[key] = value
    return tags
