"""Strict parsers for settings that come from the environment.

A typo in a deployment variable should stop start-up with a message naming
the variable, not silently fall back to a default. Every secret may also be
read from ``NAME_FILE`` so that container secrets never sit in the process
environment.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote, urlsplit, urlunsplit

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$")
_PERIODS = {"s": 1, "m": 60, "h": 3600}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingError(f"{name} must be true or false, not {raw!r}")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise SettingError(f"{name} must be at least {minimum}, not {value}")
    return value


def envlist(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def envsecret(name: str, default: str = "") -> str:
    """Read ``NAME`` or, when ``NAME_FILE`` is set, the file it points to."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as exc:
            raise SettingError(f"{name}_FILE points to an unreadable file: {exc.strerror}") from None
    return os.environ.get(name, default)


def require(name: str, value: str, *, debug: bool) -> str:
    """Fail fast in production when a secret was left unset."""
    if not value and not debug:
        raise SettingError(f"{name} is required when DJANGO_DEBUG is off")
    return value


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` as its password (the user kept), or unchanged when none is given."""
    if not password:
        return url
    parts = urlsplit(url)
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def parse_rate(text: str, *, name: str) -> tuple[int, int]:
    """``"600/minute"`` -> (600, 60): a count per second, minute or hour, for the setting ``name``."""
    match = _RATE.match(text)
    if match is None:
        raise SettingError(f"{name} must look like 600/minute, not {text!r}")
    return int(match[1]), _PERIODS[match[2][0]]
