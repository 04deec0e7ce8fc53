"""The enrolment QR code as inline SVG (segno): no image request, no script, CSP-clean."""

from __future__ import annotations

from base64 import b32encode

import segno


def svg(config_url: str) -> str:
    return segno.make(config_url, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")


def manual_secret(bin_key: bytes) -> str:
    """The base32 secret in groups of four, as authenticator apps ask for it when typed."""
    text = b32encode(bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
