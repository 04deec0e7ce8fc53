"""Every error the framework raises about a request gets its honest status, never a retryable 503.

A body over Django's limit used to answer ``503 unavailable`` + Retry-After
(and a traceback): a client told to retry a request that can never succeed.
"""

from __future__ import annotations

import logging

import pytest
from django.core import exceptions as django_exceptions
from django.db import InterfaceError, OperationalError
from django.http import Http404, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.test import Client
from rest_framework import exceptions

from federation.api.errors import answer_for

TEN_MB = b"x" * (10 * 1024 * 1024)


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (django_exceptions.RequestDataTooBig("too big"), 413, "request_too_large"),
        (django_exceptions.TooManyFieldsSent("fields"), 413, "request_too_large"),
        (django_exceptions.TooManyFilesSent("files"), 413, "request_too_large"),
        (django_exceptions.DisallowedHost("evil.example"), 400, "invalid_request"),
        (django_exceptions.SuspiciousOperation("odd"), 400, "invalid_request"),
        (django_exceptions.BadRequest("bad"), 400, "invalid_request"),
        (MultiPartParserError("broken"), 400, "invalid_request"),
        (UnreadablePostError("client went away"), 400, "invalid_request"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), 400, "invalid_request"),
        (django_exceptions.PermissionDenied(), 403, "forbidden"),
        (Http404(), 404, "not_found"),
        (exceptions.ParseError(), 400, "invalid_request"),
        (exceptions.ValidationError({"role": ["required"]}), 400, "invalid_request"),
        (exceptions.UnsupportedMediaType("text/plain"), 400, "unsupported_media_type"),
        (exceptions.NotAcceptable(), 406, "not_acceptable"),
        (exceptions.MethodNotAllowed("PUT"), 405, "method_not_allowed"),
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.AuthenticationFailed(), 401, "invalid_token"),
        (exceptions.PermissionDenied(), 403, "forbidden"),
        (exceptions.NotFound(), 404, "not_found"),
        (exceptions.Throttled(wait=3), 429, "throttled"),
        (OperationalError("server closed the connection"), 503, "database_unavailable"),
        (InterfaceError("connection already closed"), 503, "database_unavailable"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_each_framework_error_has_its_honest_status(exc, status, code):
    answer = answer_for(exc)

    assert (answer.status, answer.code) == (status, code)
    assert (answer.retry_after is not None) == (status in (429, 503))


def test_an_unknown_error_is_503_only_with_a_logged_reason(caplog):
    class Surprise(Exception):
        pass

    with caplog.at_level(logging.WARNING, logger="federation.api.errors"):
        answer = answer_for(Surprise("boom"))

    assert (answer.status, answer.code) == (503, "unavailable") and answer.retry_after
    record = next(r for r in caplog.records if "Surprise" in r.getMessage())
    assert record.levelno == logging.ERROR and record.exc_info  # the traceback, to find and map it


def test_every_known_503_is_logged_with_its_reason(caplog):
    with caplog.at_level(logging.WARNING, logger="federation.api.errors"):
        answer_for(OperationalError("server closed the connection"))

    assert "503 database_unavailable (OperationalError)" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/sessions/", "/api/v1/console-url/"])
def test_a_10_mb_api_body_is_413_not_a_retryable_503(api, path, caplog):
    with caplog.at_level(logging.ERROR):
        response = api.post(path, TEN_MB, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"
    assert "Retry-After" not in response
    assert "Traceback" not in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/roles/prod-developer/console/", "/roles/prod-developer/credentials/"])
def test_a_10_mb_form_on_the_portal_is_413(alice_client, path):
    response = alice_client.post(path, TEN_MB, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
    assert "Request too large" in response.content.decode()


@pytest.mark.django_db
def test_a_form_with_too_many_fields_is_413(alice_client):
    fields = "&".join(f"f{n}=x" for n in range(1500))

    response = alice_client.post("/tokens/", fields, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413


@pytest.mark.django_db
def test_a_10_mb_sign_in_form_is_413():
    response = Client().post("/login/", TEN_MB, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
