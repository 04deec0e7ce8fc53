"""Every API error as ``{error, detail}``: 400, 401, 403, 404, 429 or 503.

Domain errors go through ``federation.errors.describe`` like the portal's;
DRF's own exceptions are mapped here. Anything unexpected is logged with its
traceback and answered 503 + Retry-After: a client can retry a 503, and the
contract has no 500.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from federation.errors import RETRY_AFTER_SECONDS, describe

log = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """An error with its own status and code, e.g. a refused token (401) or address (403)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail=detail, code=code)
        self.status_code = status
        self.error_code = code


@dataclass(frozen=True)
class Answer:
    status: int
    code: str
    detail: str
    retry_after: int | None = None


def _flatten(detail: Any, field: str = "") -> str:
    if isinstance(detail, dict):
        return "; ".join(_flatten(value, key) for key, value in detail.items())
    if isinstance(detail, list):
        return "; ".join(_flatten(item, field) for item in detail)
    text = str(detail)
    return f"{field}: {text}" if field and field != "non_field_errors" else text


_DRF_CODES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "invalid_token"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.ValidationError, "invalid_request"),
    (exceptions.ParseError, "invalid_request"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
]


def _drf_answer(exc: exceptions.APIException) -> Answer:
    if isinstance(exc, exceptions.Throttled):
        wait = math.ceil(exc.wait or 1)
        return Answer(429, "throttled", f"too many requests; retry in {wait} s", max(wait, 1))
    if isinstance(exc, ApiError):
        return Answer(exc.status_code, exc.error_code, _flatten(exc.detail))
    code = next((code for kind, code in _DRF_CODES if isinstance(exc, kind)), "error")
    status = 400 if exc.status_code == 415 else exc.status_code
    if isinstance(exc, exceptions.NotAuthenticated):
        return Answer(401, code, "give a token: 'Authorization: Bearer brk_...'")
    return Answer(status, code, _flatten(exc.detail))


def answer_for(exc: Exception) -> Answer:
    if isinstance(exc, exceptions.APIException):
        return _drf_answer(exc)
    if isinstance(exc, Http404):
        return Answer(404, "not_found", "no such endpoint")
    problem = describe(exc)
    if problem is not None:
        return Answer(problem.status, problem.code, problem.detail, problem.retry_after)
    if isinstance(exc, ValueError):
        return Answer(400, "invalid_request", str(exc))
    log.error("API request failed unexpectedly", exc_info=exc)
    return Answer(503, "unavailable", "the broker could not answer; try again shortly", RETRY_AFTER_SECONDS)


def handler(exc: Exception, context: dict[str, Any]) -> Response:
    answer = answer_for(exc)
    response = Response({"error": answer.code, "detail": answer.detail}, status=answer.status)
    if answer.retry_after:
        response["Retry-After"] = str(answer.retry_after)
    auth_header = getattr(exc, "auth_header", None)
    if answer.status == 401 and auth_header:
        response["WWW-Authenticate"] = auth_header
    response["Cache-Control"] = "no-store"
    return response
