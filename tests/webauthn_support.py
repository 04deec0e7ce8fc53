"""A software WebAuthn authenticator for server-level passkey tests.

It makes what a browser and an authenticator would send (``clientDataJSON``,
authenticator data, a ``none`` attestation, ECDSA P-256 signatures made with
``cryptography``), but, unlike Chromium, it can also lie: claim another
origin, or sign with a counter that went backwards (a cloned key). The
browser suite (tests/browser/test_passkeys_in_chromium.py) covers the honest
path with Chromium's own virtual authenticator.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftAuthenticator:
    """One credential on one authenticator; ``counter`` is its signature counter."""

    rp_id: str
    origin: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    counter: int = 0

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )

    def _auth_data(self, flags: int, rp_id: str, extra: bytes = b"") -> bytes:
        return (
            hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.counter) + extra
        )

    def _client_data(self, kind: str, options: dict[str, Any], origin: str | None) -> bytes:
        body = {
            "type": kind,
            "challenge": options["challenge"],
            "origin": origin or self.origin,
            "crossOrigin": False,
        }
        return json.dumps(body).encode()

    def _answer(self, **response: Any) -> dict[str, Any]:
        """The PublicKeyCredential as JSON, as static/passkeys.js posts it."""
        credential = b64url(self.credential_id)
        return {
            "id": credential,
            "rawId": credential,
            "type": "public-key",
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
            "response": response,
        }

    def create(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """The registration answer to the broker's creation options (``navigator.credentials.create``)."""
        attested = (
            b"\0" * 16 + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key()
        )
        auth_data = self._auth_data(UP | UV | AT, options["rp"]["id"], attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options, origin)
        return self._answer(
            clientDataJSON=b64url(client_data), attestationObject=b64url(attestation), transports=["usb"]
        )

    def get(
        self, options: dict[str, Any], *, origin: str | None = None, counter: int | None = None
    ) -> dict[str, Any]:
        """An assertion for the broker's request options (``navigator.credentials.get``).

        The counter goes up by one per assertion, unless ``counter`` sets it (a clone's stale count).
        """
        self.counter = self.counter + 1 if counter is None else counter
        auth_data = self._auth_data(UP | UV, options["rpId"])
        client_data = self._client_data("webauthn.get", options, origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return self._answer(
            clientDataJSON=b64url(client_data),
            authenticatorData=b64url(auth_data),
            signature=b64url(signature),
            userHandle=None,
        )
