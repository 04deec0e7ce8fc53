"""JSON over HTTP(S) with urllib, every call bounded by a timeout.

Errors become one-line ``CliError`` messages: the broker's ``{error,
detail}`` or OAuth's ``{error, error_description}`` when it answered, the
network's reason when it did not. ``AWSBROKER_HTTP_TIMEOUT`` (seconds,
default 10) bounds each request.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from awsbroker import __version__
from awsbroker.errors import CliError

USER_AGENT = f"awsbroker/{__version__}"


class HttpAnswer:
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body if isinstance(body, (dict, list)) else {}

    @property
    def error(self) -> str:
        return str(self.body.get("error", "")) if isinstance(self.body, dict) else ""

    @property
    def detail(self) -> str:
        if not isinstance(self.body, dict):
            return ""
        return str(
            self.body.get("detail") or self.body.get("error_description") or self.body.get("error") or ""
        )


def timeout() -> float:
    try:
        return max(1.0, float(os.environ.get("AWSBROKER_HTTP_TIMEOUT", "10")))
    except ValueError:
        return 10.0


def request(
    method: str, url: str, *, form: dict[str, str] | None = None, body: Any = None, token: str | None = None
) -> HttpAnswer:
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    call = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 (http(s) only)
    try:
        with urllib.request.urlopen(call, timeout=timeout()) as answer:  # noqa: S310
            return HttpAnswer(answer.status, _json(answer.read()))
    except urllib.error.HTTPError as refused:
        return HttpAnswer(refused.code, _json(refused.read()))
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CliError(f"cannot reach the broker at {_origin(url)}: {reason}") from None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8") or "{}")
    except ValueError:
        return {}


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
