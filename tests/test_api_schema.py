"""The OpenAPI 3 document at /api/schema/ is valid and describes the contract's endpoints."""

from __future__ import annotations

import json

import pytest
import yaml
from openapi_spec_validator import validate


@pytest.mark.django_db
def test_the_openapi_document_validates_and_lists_the_api(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    document = json.loads(response.content)
    validate(document)
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/v1/roles/",
        "/api/v1/sessions/",
        "/api/v1/roles/{alias}/credentials",
        "/api/v1/console-url/",
        "/api/v1/access-requests/",
        "/api/v1/access-requests/{id}",
        "/api/v1/access-requests/{id}/approve",
        "/api/v1/access-requests/{id}/deny",
    }
    schemes = document["components"]["securitySchemes"]
    assert schemes["brokerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["brokerToken"]["description"],
    }
    assert set(document["paths"]["/api/v1/sessions/"]["post"]["responses"]) >= {
        "201",
        "401",
        "403",
        "429",
        "503",
    }


@pytest.mark.django_db
def test_the_yaml_document_is_the_default(client):
    response = client.get("/api/schema/")
    validate(yaml.safe_load(response.content))
