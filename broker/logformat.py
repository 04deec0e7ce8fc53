"""Log lines as one JSON object each (``LOG_FORMAT=json``), with request context.

Every record gets ``request_id`` and ``user`` from the request being served,
so one sign-in or issuance can be followed across log lines. Secrets are
removed by ``broker.redaction`` before a formatter ever sees the message.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

request_id: ContextVar[str] = ContextVar("request_id", default="")
request_user: ContextVar[str] = ContextVar("request_user", default="")

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.user = request_user.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        event.update({k: v for k, v in vars(record).items() if k not in _STANDARD and v not in ("", None)})
        if record.exc_info or record.exc_text:  # exc_text: already formatted and redacted
            event["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(event, default=str)
