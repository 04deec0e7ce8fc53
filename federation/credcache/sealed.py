"""An entry as the bytes kept in Redis: JSON of the credentials, sealed to its spec's context.

The secret never reaches Redis in clear (``broker.sealing``: AES-GCM under
``BROKER_ENCRYPTION_KEYS``), and the spec's context is the associated data,
so a value moved under another key, tampered with or sealed with a key no
longer configured opens as no value at all rather than as someone's session.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from broker import sealing
from federation import sts
from federation.credcache.entries import Entry
from federation.credcache.errors import CacheUnavailable
from federation.credcache.spec import SessionSpec


def _encode(entry: Entry) -> bytes:
    c = entry.credentials
    return json.dumps(
        {
            "AccessKeyId": c.access_key_id,
            "SecretAccessKey": c.secret_access_key,
            "SessionToken": c.session_token,
            "Expiration": c.expiration.timestamp(),
            "Arn": c.arn,
            "Method": c.method,
            "IssuedAt": entry.issued_at,
        }
    ).encode()


def _decode(raw: bytes) -> Entry:
    body = json.loads(raw)
    credentials = sts.Credentials(
        access_key_id=body["AccessKeyId"],
        secret_access_key=body["SecretAccessKey"],
        session_token=body["SessionToken"],
        expiration=datetime.fromtimestamp(body["Expiration"], tz=UTC),
        arn=body["Arn"],
        method=body["Method"],
    )
    return Entry(credentials=credentials, issued_at=body["IssuedAt"])


def seal_value(spec: SessionSpec, entry: Entry) -> bytes:
    """The bytes to store for ``entry``; no usable key is ``CacheUnavailable`` (go to STS)."""
    try:
        return sealing.seal(_encode(entry), aad=spec.context)
    except sealing.SealError as exc:
        raise CacheUnavailable(str(exc)) from None


def open_value(spec: SessionSpec, blob: bytes | None) -> Entry | None:
    """Decrypt a stored value for ``spec``; a value that fails authentication is no value."""
    if blob is None:
        return None
    try:
        return _decode(sealing.unseal(blob, aad=spec.context))
    except sealing.SealError:
        return None
