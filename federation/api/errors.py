"""Every API error as ``{error, detail}``: 400, 401, 403, 404, 413, 429 or 503.

Domain errors go through ``federation.errors.describe`` like the portal's;
DRF's and Django's own exceptions are mapped here, each to its honest status:
a body over Django's limits is 413 (``DATA_UPLOAD_MAX_MEMORY_SIZE``,
``DATA_UPLOAD_MAX_NUMBER_FIELDS``/``_FILES``), a malformed or unreadable
request 400, never a 5xx: retrying it could never succeed.

The rule for 503: it tells a client to come back (``Retry-After``), so it is
answered only for a dependency that is down (AWS, the database, the audit
trail) or for an error nobody mapped, and **every 503 leaves a log line
naming its reason**; an unmapped error is logged with its traceback, so it
is found and mapped rather than retried for ever. The contract has no 500.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import exceptions as django_exceptions
from django.db import InterfaceError, OperationalError
from django.http import Http404, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions
from rest_framework.response import Response

from broker.apitokens import failures
from broker.netaddr import client_ip
from federation.errors import RETRY_AFTER_SECONDS, describe

log = logging.getLogger(__name__)

# Every 401 carries it (RFC 6750); a refused token adds error="invalid_token".
REALM = 'Bearer realm="aws-identity-broker"'


class ApiError(exceptions.APIException):
    """An error with its own status and code, e.g. a refused token (401) or address (403)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail=detail, code=code)
        self.status_code = status
        self.error_code = code


class TooManyFailures(exceptions.Throttled):
    """This address failed to authenticate too often in this window (``broker.apitokens.failures``)."""

    def __init__(self, wait: int) -> None:
        super().__init__(
            wait=wait, detail=f"too many failed authentications from your address; retry in {wait} s"
        )


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
    (exceptions.NotAcceptable, "not_acceptable"),
]


def _too_large(what: str) -> str:
    return (
        f"the request is too large: {what}; the broker accepts bodies up to "
        f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes and {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields"
    )


# Django's errors about the request itself, subclasses before their bases: the client's doing, never
# 5xx. For 413 the last column says what was too large.
_DJANGO: list[tuple[type[Exception], int, str, str]] = [
    (django_exceptions.RequestDataTooBig, 413, "request_too_large", "the body"),
    (django_exceptions.TooManyFieldsSent, 413, "request_too_large", "too many fields"),
    (django_exceptions.TooManyFilesSent, 413, "request_too_large", "too many files"),
    (django_exceptions.SuspiciousOperation, 400, "invalid_request", "the request was refused as malformed"),
    (django_exceptions.BadRequest, 400, "invalid_request", "the request was malformed"),
    (MultiPartParserError, 400, "invalid_request", "the multipart body could not be parsed"),
    (UnreadablePostError, 400, "invalid_request", "the request body could not be read to its end"),
    (django_exceptions.PermissionDenied, 403, "forbidden", "not allowed"),
]


def _drf_answer(exc: exceptions.APIException) -> Answer:
    if isinstance(exc, exceptions.Throttled):
        wait = max(math.ceil(exc.wait or 1), 1)
        if isinstance(exc, TooManyFailures):
            return Answer(429, "too_many_failures", _flatten(exc.detail), wait)
        return Answer(429, "throttled", f"too many requests; retry in {wait} s", wait)
    if isinstance(exc, ApiError):
        return Answer(exc.status_code, exc.error_code, _flatten(exc.detail))
    code = next((code for kind, code in _DRF_CODES if isinstance(exc, kind)), "error")
    status = 400 if exc.status_code == 415 else exc.status_code
    if isinstance(exc, exceptions.NotAuthenticated):
        return Answer(401, code, "give a token: 'Authorization: Bearer brk_...'")
    return Answer(status, code, _flatten(exc.detail))


def _django_answer(exc: Exception) -> Answer | None:
    for kind, status, code, detail in _DJANGO:
        if isinstance(exc, kind):
            return Answer(status, code, _too_large(detail) if status == 413 else detail)
    return None


def _known(exc: Exception) -> Answer | None:
    """The answer for every error someone mapped; ``None`` for the unknown."""
    if isinstance(exc, exceptions.APIException):
        return _drf_answer(exc)
    if isinstance(exc, Http404):
        return Answer(404, "not_found", "no such endpoint")
    problem = describe(exc)
    if problem is not None:
        return Answer(problem.status, problem.code, problem.detail, problem.retry_after)
    if isinstance(exc, OperationalError | InterfaceError):
        detail = "the database is unavailable; try again shortly"
        return Answer(503, "database_unavailable", detail, RETRY_AFTER_SECONDS)
    answer = _django_answer(exc)
    if answer is None and isinstance(exc, ValueError):
        answer = Answer(400, "invalid_request", str(exc))
    return answer


def answer_for(exc: Exception) -> Answer:
    """The answer, and for any 503 a log line that names why (see the module docstring)."""
    answer = _known(exc)
    if answer is None:
        log.error("API request failed unexpectedly (%s); answered 503", type(exc).__name__, exc_info=exc)
        return Answer(
            503, "unavailable", "the broker could not answer; try again shortly", RETRY_AFTER_SECONDS
        )
    if answer.status == 503:
        log.warning("API answered 503 %s (%s): %s", answer.code, type(exc).__name__, answer.detail)
    return answer


def _challenge(answer: Answer) -> str:
    return f'{REALM}, error="invalid_token"' if answer.code == "invalid_token" else REALM


def handler(exc: Exception, context: dict[str, Any]) -> Response:
    answer = answer_for(exc)
    request = context.get("request")
    if isinstance(exc, exceptions.NotAuthenticated) and request is not None:
        failures.refused(client_ip(request), token="", reason=answer.code)  # no token: a failure too
    response = Response({"error": answer.code, "detail": answer.detail}, status=answer.status)
    if answer.retry_after:
        response["Retry-After"] = str(answer.retry_after)
    if answer.status == 401:
        response["WWW-Authenticate"] = _challenge(answer)
    response["Cache-Control"] = "no-store"
    return response
