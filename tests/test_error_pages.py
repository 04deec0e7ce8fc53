"""Every error a person can meet is the broker's styled card, with its headers and CSP intact;
the API keeps its JSON errors. Debug is off here, as in production."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from broker import urls as root_urls
from tests.conftest import signed_in


def assert_card(response, status: int, title: str) -> None:  # type: ignore[no-untyped-def]
    page = response.content.decode()
    assert response.status_code == status
    assert '<section class="card narrow error"' in page and title in page, page[:500]
    assert f"Error {status}" in page
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_a_missing_page_is_a_styled_404(alice_client):
    assert_card(alice_client.get("/no-such-page/"), 404, "Page not found")
    assert_card(Client().get("/no-such-page/"), 404, "Page not found")


@pytest.mark.django_db
def test_opening_a_post_only_url_is_a_styled_405_that_keeps_allow(alice_client):
    response = alice_client.get("/roles/prod-developer/console/")
    assert_card(response, 405, "This page opens from a button")
    assert response["Allow"] == "POST"


@pytest.mark.django_db
def test_the_api_keeps_its_json_errors(alice_client):
    response = Client().get("/api/v1/no-such-thing/")
    assert response["Content-Type"].startswith("application/json") and response.json()["error"]


def boom(request):  # type: ignore[no-untyped-def]
    raise RuntimeError("a bug")


def refuse(request):  # type: ignore[no-untyped-def]
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied


def bad(request):  # type: ignore[no-untyped-def]
    from django.core.exceptions import SuspiciousOperation

    raise SuspiciousOperation("odd")


urlpatterns = [
    path("boom/", boom),
    path("refuse/", refuse),
    path("bad/", bad),
    *root_urls.urlpatterns,
]
handler400 = root_urls.handler400
handler403 = root_urls.handler403
handler404 = root_urls.handler404
handler500 = root_urls.handler500


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_pages")
def test_a_server_error_is_a_styled_500_with_a_reference(alice):
    client = signed_in(alice)
    client.raise_request_exception = False
    response = client.get("/boom/", HTTP_X_REQUEST_ID="ref-12345678")
    assert_card(response, 500, "Something went wrong")
    assert "ref-12345678" in response.content.decode()
    assert "a bug" not in response.content.decode()  # no internals


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_pages")
def test_refusals_and_bad_requests_are_styled(alice):
    client = signed_in(alice)
    assert_card(client.get("/refuse/"), 403, "Not allowed")
    assert_card(client.get("/bad/"), 400, "Bad request")


@pytest.mark.django_db
def test_a_csrf_failure_keeps_its_own_words():
    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "alice"})
    assert_card(response, 403, "Form expired")
