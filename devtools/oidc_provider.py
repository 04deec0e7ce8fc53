"""Start the OpenID Connect provider of the demo and the tests: node running oidc-provider.

oidc-provider (npm, OpenID Certified) is an independent implementation, so
the broker's relying party is tested against a provider it did not write.
It is installed into ``devtools/oidc/node_modules`` from the committed
``package.json`` and ``package-lock.json`` (``npm ci``, never globally);
``install()`` does that when it is missing. Signing keys are made at run
time (``new_jwks``), never committed.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joserfc.jwk import KeySet, RSAKey

HERE = Path(__file__).resolve().parent / "oidc"
SCRIPT = HERE / "provider.mjs"
START_SECONDS = 20

# The demo cast, as the directory and the SAML IdP know them.
DEMO_USERS: dict[str, dict[str, Any]] = {
    "alice": {
        "name": "Alice Example",
        "email": "alice@example.com",
        "email_verified": True,
        "groups": ["team-platform", "developers"],
    },
    "bob": {
        "name": "Bob Example",
        "email": "bob@example.com",
        "email_verified": True,
        "groups": ["auditors"],
    },
}


class ProviderError(RuntimeError):
    """node or oidc-provider is missing, or the provider did not start."""


def install() -> None:
    """``npm ci`` into devtools/oidc/node_modules when the provider is not there yet."""
    if (HERE / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise ProviderError("npm is missing: run `bash devtools/system-deps.sh` (Debian nodejs, npm)")
    subprocess.run(  # noqa: S603 - fixed arguments
        [npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True, timeout=300
    )


def new_key(kid: str | None = None) -> dict[str, Any]:
    """A fresh RSA signing key as a private JWK."""
    key = RSAKey.generate_key(
        2048, parameters={"kid": kid or secrets.token_hex(8), "use": "sig", "alg": "RS256"}
    )
    return key.as_dict(private=True)


def public_jwks(keys: list[dict[str, Any]]) -> dict[str, Any]:
    return KeySet.import_key_set({"keys": keys}).as_dict(private=False)


@dataclass
class Provider:
    """A running provider; ``stop()`` ends it (tests restart it with new keys to rotate)."""

    issuer: str
    process: subprocess.Popen[bytes]
    config_file: Path
    keys: list[dict[str, Any]] = field(default_factory=list)
    log_file: Path | None = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.config_file.unlink(missing_ok=True)
        if self.log_file is not None:
            self.log_file.unlink(missing_ok=True)


def client(client_id: str, secret: str | None, redirect_uris: list[str], **extra: Any) -> dict[str, Any]:
    """oidc-provider client metadata: a confidential client, or a public one (PKCE only)."""
    body: dict[str, Any] = {
        "client_id": client_id,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": [uri.replace("/oidc/callback/", "/login/") for uri in redirect_uris],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
        **extra,
    }
    if secret:
        body["client_secret"] = secret
    return body


def start(
    *,
    port: int,
    clients: list[dict[str, Any]],
    users: dict[str, dict[str, Any]] | None = None,
    keys: list[dict[str, Any]] | None = None,
    host: str = "127.0.0.1",
    **options: Any,
) -> Provider:
    """Run the provider on ``host:port`` until it says it is ready; ``options`` go to its config."""
    install()
    node = shutil.which("node")
    if node is None:
        raise ProviderError("node is missing: run `bash devtools/system-deps.sh` (Debian nodejs)")
    keys = keys or [new_key()]
    issuer = f"http://{host}:{port}"
    config = {
        "issuer": issuer,
        "port": port,
        "clients": clients,
        "users": users if users is not None else DEMO_USERS,
        "jwks": {"keys": keys},
        "cookieKey": secrets.token_urlsafe(24),
        **options,
    }
    handle, name = tempfile.mkstemp(prefix="oidc-provider-", suffix=".json")
    config_file = Path(name)
    with open(handle, "w", encoding="utf-8") as out:
        json.dump(config, out)
    log_file = config_file.with_suffix(".log")
    with open(log_file, "wb") as log:  # a file, not a pipe: a long-running provider never blocks on it
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [node, str(SCRIPT), str(config_file)], stdout=log, stderr=subprocess.STDOUT
        )
    provider = Provider(issuer=issuer, process=process, config_file=config_file, keys=keys, log_file=log_file)
    _wait_ready(provider)
    return provider


def _wait_ready(provider: Provider) -> None:
    deadline = time.monotonic() + START_SECONDS
    assert provider.log_file is not None
    while time.monotonic() < deadline:
        if "ready" in provider.log_file.read_text(errors="replace").split():
            return
        if provider.process.poll() is not None:
            break
        time.sleep(0.05)
    output = provider.log_file.read_text(errors="replace")[-500:]
    provider.stop()
    raise ProviderError(f"the OIDC provider did not start (exit {provider.process.poll()}): {output}")
