"""What identifies a cached session: the request's terms, and the key id derived from them.

Two requests with the same ``SessionSpec`` may share one session. Its
``context`` is also the associated data the value is sealed with, so a value
copied under another spec's key fails authentication.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class SessionSpec:
    """Everything that makes two requests want the same session."""

    subject: str
    username: str
    alias: str
    role_arn: str
    policy: str  # canonical JSON of the policy sent to STS, "" for none
    requested_policy: str  # the caller's own policy, to ask again on refresh
    duration: int
    attributes: str

    @functools.cached_property
    def context(self) -> bytes:
        # Not dataclasses.asdict: it deep-copies, a noticeable cost on every API request.
        values = {name: getattr(self, name) for name in _SPEC_FIELDS}
        return json.dumps(values, sort_keys=True, separators=(",", ":")).encode()

    @functools.cached_property
    def key_id(self) -> str:
        return hashlib.sha256(self.context).hexdigest()[:40]


_SPEC_FIELDS = tuple(field.name for field in fields(SessionSpec))
