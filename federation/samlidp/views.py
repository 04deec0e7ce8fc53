"""``GET /aws/saml/metadata/``: what an AWS admin uploads to IAM as the SAML provider."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from federation.samlidp import metadata
from federation.samlidp.keys import SigningKeyUnavailable


@require_GET
def metadata_view(request: HttpRequest) -> HttpResponse:
    """Public on purpose: it holds only certificates, and IAM or an admin fetches it unauthenticated."""
    try:
        body = metadata.document()
    except SigningKeyUnavailable as exc:
        return HttpResponse(f"{exc}\n", status=exc.status, content_type="text/plain; charset=utf-8")
    response = HttpResponse(body, content_type=metadata.CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="aws-identity-broker-idp.xml"'
    return response
