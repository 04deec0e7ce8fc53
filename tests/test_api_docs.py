"""/api/docs/: the API reference for people, drawn on the server from the OpenAPI document."""

from __future__ import annotations

import pytest
import yaml
from django.test import Client


@pytest.mark.django_db
def test_the_reference_lists_every_operation_of_the_schema():
    schema = yaml.safe_load(Client().get("/api/schema/").content)
    response = Client().get("/api/docs/")
    page = response.content.decode()

    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    for path_, item in schema["paths"].items():
        for method in item:
            assert f'<span class="verb">{method.upper()}</span><code>{path_}</code>' in page, (method, path_)
    assert "Bearer" in page  # how to authenticate, from the security scheme


@pytest.mark.django_db
def test_the_reference_shows_fields_and_their_meaning():
    page = Client().get("/api/docs/").content.decode()
    assert "<code>duration_seconds</code>" in page and "<code>AccessKeyId</code>" in page
    assert "format (query)" in page and "one of container, process" in page


@pytest.mark.django_db
def test_the_reference_loads_nothing_from_elsewhere_and_keeps_the_csp():
    response = Client().get("/api/docs/")
    page = response.content.decode()
    assert "https://" not in page.split("<main")[0]  # no CDN stylesheet or script in the head
    assert all(src.startswith("/static/") for src in __import__("re").findall(r'src="([^"]+)"', page))
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in page and " style=" not in page
