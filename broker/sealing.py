"""Seal secrets at rest (cached credentials in Redis, ID tokens in sessions), each bound to its context.

AES-256-GCM with the cache entry's full context (principal, role, policy,
duration) as associated data: a value copied under another entry's key fails
authentication instead of handing one caller another's session. Keys are
derived with HKDF from ``BROKER_ENCRYPTION_KEYS`` (Fernet keys, so operators
manage one list): the first seals, every one opens, which is how a key
rotates. A 4-byte key fingerprint in the header picks the key to try.

Layout: ``version(1) | fingerprint(4) | nonce(12) | ciphertext+tag``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = b"\x01"
_INFO = b"aws-identity-broker credential cache v1"
_NONCE = 12


class SealError(Exception):
    """A value cannot be sealed or opened (no key, wrong key, tampered or moved)."""


@functools.cache
def _keyring(raw_keys: tuple[str, ...]) -> tuple[tuple[bytes, AESGCM], ...]:
    ring = []
    for raw in raw_keys:
        try:
            material = base64.urlsafe_b64decode(raw.encode())
        except (binascii.Error, ValueError):
            raise SealError("a BROKER_ENCRYPTION_KEYS entry is not a Fernet key") from None
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material)
        ring.append((hashlib.sha256(key).digest()[:4], AESGCM(key)))
    return tuple(ring)


def keyring() -> tuple[tuple[bytes, AESGCM], ...]:
    ring = _keyring(tuple(settings.BROKER_ENCRYPTION_KEYS))
    if not ring:
        raise SealError("BROKER_ENCRYPTION_KEYS is empty: nothing can be cached")
    return ring


def seal(plaintext: bytes, *, aad: bytes) -> bytes:
    fingerprint, aead = keyring()[0]
    nonce = os.urandom(_NONCE)
    return VERSION + fingerprint + nonce + aead.encrypt(nonce, plaintext, aad)


def unseal(blob: bytes, *, aad: bytes) -> bytes:
    if len(blob) < 1 + 4 + _NONCE + 16 or blob[:1] != VERSION:
        raise SealError("not a sealed value")
    fingerprint, nonce, body = blob[1:5], blob[5 : 5 + _NONCE], blob[5 + _NONCE :]
    for candidate, aead in keyring():
        if candidate == fingerprint:
            try:
                return aead.decrypt(nonce, body, aad)
            except InvalidTag:
                raise SealError(
                    "the value failed authentication (tampered, or moved from another key)"
                ) from None
    raise SealError("the value was sealed with a key that is no longer configured")
