"""The CLI's source archive, served by the broker so `pip install` needs no other index.

``GET /terminal/awsbroker.tar.gz`` is the ``cli/`` folder of this broker's
own code (its ``pyproject.toml``, ``README.md`` and ``awsbroker`` package),
packed on request, so the CLI a person installs always matches the broker
that serves it: ``pip install "awsbroker @ https://broker.example.com/terminal/awsbroker.tar.gz"``.
Public (no sign-in): it holds code, no secret. Files are added in a fixed
order with fixed metadata, so the same code gives the same bytes.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

SOURCE = Path(settings.BASE_DIR) / "cli"
TOP = "awsbroker"


def _members() -> list[Path]:
    package = sorted(path for path in (SOURCE / "awsbroker").rglob("*.py"))
    return [SOURCE / "pyproject.toml", SOURCE / "README.md", *package]


def archive() -> bytes:
    if not (SOURCE / "pyproject.toml").is_file():
        raise Http404("this broker was deployed without the CLI's source (cli/)")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path in _members():
            data = path.read_bytes()
            info = tarfile.TarInfo(f"{TOP}/{path.relative_to(SOURCE).as_posix()}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


@require_GET
def cli_archive(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(archive(), content_type="application/gzip")
    response["Content-Disposition"] = 'attachment; filename="awsbroker.tar.gz"'
    return response
