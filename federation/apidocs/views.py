"""``/api/docs/``: the API reference for people, from the same generator as ``/api/schema/``.

Drawn on the server with the portal's stylesheet: no CDN, no script, the CSP
untouched. Public like the schema it renders (it holds no secret).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator

from federation.apidocs.reading import operations

_document: dict[str, Any] = {}


def document() -> dict[str, Any]:
    """The OpenAPI document, built once per process (it changes only with the code)."""
    if not _document:
        _document.update(SchemaGenerator().get_schema(request=None, public=True))
    return _document


@require_GET
def reference(request: HttpRequest) -> HttpResponse:
    schema = document()
    security = schema.get("components", {}).get("securitySchemes", {})
    context = {
        "info": schema.get("info", {}),
        "operations": operations(schema),
        "auth": [scheme.get("description", "") for scheme in security.values()],
        "base_url": settings.BROKER_BASE_URL,
    }
    return render(request, "federation/api_docs.html", context)
