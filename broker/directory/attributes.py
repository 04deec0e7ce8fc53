"""Which directory attributes the broker keeps for AWS session tags.

A directory entry can hold secrets (password hashes, keys) and bulky binary
values; the service account may well be allowed to read them. Only short,
single-valued text attributes whose names do not look like credentials are
kept, so ``DirectoryProfile.attributes`` is safe to show in the admin.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

MAX_VALUE_CHARS = 1024
_SECRET_NAME = re.compile(r"(?i)pass|pwd|secret|credential|key|pkcs|hash|token|history")
_SKIPPED = {
    "objectclass",
    "member",
    "memberof",
    "jpegphoto",
    "thumbnailphoto",
    "objectguid",
    "objectsid",
    "usercertificate",
    "ntsecuritydescriptor",
}


def _keep(name: str, values: Sequence[Any]) -> bool:
    if name.lower() in _SKIPPED or ";" in name or _SECRET_NAME.search(name):
        return False
    if len(values) != 1 or not isinstance(values[0], str):
        return False
    value = values[0]
    return 0 < len(value) <= MAX_VALUE_CHARS and value.isprintable()


def directory_attributes(attrs: Mapping[str, Sequence[Any]] | None) -> dict[str, str]:
    """The attributes worth keeping, by the name the directory spells them."""
    return {name: values[0] for name, values in (attrs or {}).items() if _keep(name, values)}
