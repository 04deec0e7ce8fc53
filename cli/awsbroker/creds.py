"""AWS sessions for a role, cached on disk as the AWS CLI caches them.

Each session is a JSON file (0600) in the cache directory, named by a hash
of the broker URL, the role and the duration. It is used until it has
``REFRESH_AHEAD`` seconds left (15 minutes: botocore itself starts
refreshing at that point), then a new one is fetched; an expired one is never
returned. ``logout`` deletes the cache.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from awsbroker import api, files, paths
from awsbroker.errors import CliError

REFRESH_AHEAD = 900
FIELDS = ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _folder(url: str) -> Path:
    return paths.cache_dir() / _digest(url)[:16]


def _cache_path(url: str, role: str, duration: int | None) -> Path:
    key = _digest(role + "\n" + str(duration or 0))
    return _folder(url) / f"{key}.json"


def seconds_left(session: dict[str, Any]) -> float:
    try:
        expiration = datetime.fromisoformat(str(session["Expiration"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return 0.0
    return (expiration - datetime.now(timezone.utc)).total_seconds()


def session(url: str, role: str, duration: int | None = None) -> dict[str, Any]:
    """``{Version: 1, AccessKeyId, SecretAccessKey, SessionToken, Expiration}`` for ``role``."""
    path = _cache_path(url, role, duration)
    cached = files.read_json(path)
    if all(cached.get(name) for name in FIELDS) and seconds_left(cached) > REFRESH_AHEAD:
        return cached
    fresh = _fetch(url, role, duration)
    files.write_private(path, json.dumps(fresh))
    return fresh


def _fetch(url: str, role: str, duration: int | None) -> dict[str, Any]:
    if duration:
        body = api.call(url, "POST", "/api/v1/sessions/", {"role": role, "duration_seconds": duration})
    else:
        body = api.call(url, "GET", f"/api/v1/roles/{api.role_path(role)}/credentials?format=process")
    if not all(body.get(name) for name in FIELDS):
        raise CliError("the broker answered without credentials")
    return {"Version": 1, **{name: body[name] for name in FIELDS}}


def forget(url: str) -> None:
    """Delete every session cached for ``url``."""
    folder = _folder(url)
    if folder.is_dir():
        for cached in folder.glob("*.json"):
            files.remove(cached)
