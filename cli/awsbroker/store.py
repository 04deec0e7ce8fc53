"""Where the sign-in (the refresh token and the current access token) is kept.

The OS keyring (macOS Keychain, Windows Credential Manager, the Secret
Service on a Linux desktop) when the optional ``keyring`` package is
installed and has a usable backend; otherwise a ``tokens.json`` readable by
the owner only (0600), as on a headless Linux box. ``AWSBROKER_NO_KEYRING=1``
forces the file. One entry per broker URL.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

from awsbroker import files, paths

SERVICE = "awsbroker"


def _keyring() -> Any:
    if os.environ.get("AWSBROKER_NO_KEYRING"):
        return None
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # noqa: BLE001 (a broken optional dependency is the same as none)
        return None
    try:
        backend = keyring.get_keyring()
        usable = not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 0) > 0
    except Exception:  # noqa: BLE001
        return None
    return keyring if usable else None


def where() -> str:
    return "the OS keyring" if _keyring() else str(paths.tokens_file())


def load(url: str) -> dict[str, Any]:
    ring = _keyring()
    if ring is not None:
        with contextlib.suppress(Exception):  # a keyring that fails: fall back to the file
            raw = ring.get_password(SERVICE, url)
            return json.loads(raw) if raw else {}
    entry = files.read_json(paths.tokens_file()).get(url)
    return entry if isinstance(entry, dict) else {}


def save(url: str, entry: dict[str, Any]) -> None:
    ring = _keyring()
    if ring is not None:
        with contextlib.suppress(Exception):  # a keyring that fails: fall back to the file
            ring.set_password(SERVICE, url, json.dumps(entry))
            return
    everything = files.read_json(paths.tokens_file())
    everything[url] = entry
    files.write_json(paths.tokens_file(), everything)


def clear(url: str) -> None:
    ring = _keyring()
    if ring is not None:
        with contextlib.suppress(Exception):  # nothing stored there
            ring.delete_password(SERVICE, url)
    everything = files.read_json(paths.tokens_file())
    if everything.pop(url, None) is not None:
        files.write_json(paths.tokens_file(), everything)
