"""``make run``: the whole demo on localhost, stopped together with Ctrl-C.

Starts moto (the AWS endpoint) and provisions the demo roles in it, the
sign-in endpoint stand-in, Redis when none answers, migrates and seeds the
database, then serves gunicorn, a Celery worker and beat. Each piece can
also be started alone; the README lists the commands.

Stopping: the first SIGTERM or Ctrl-C (SIGINT) ends the wait and stops every
child (each gets 10 s, then is killed); later ones while it stops are noted
and ignored, so an impatient second signal cannot cut the shutdown short and
leave children running (tests/test_demo_shutdown.py).
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("DEMO_STATE") or ROOT / ".demo")
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


def _wait_http(url: str, what: str, seconds: float = 120) -> None:
    """Wait for ``url`` to answer; generous, since a busy machine's first request imports the app."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=15):  # noqa: S310 - loopback only
                return
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error still means it is up
                return
            time.sleep(0.3)
    raise SystemExit(f"run: {what} did not start on {url}")


def _persistent_secret(name: str, make: callable) -> str:  # type: ignore[valid-type]
    path = STATE / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _write_env(env: dict[str, str]) -> Path:
    """The demo's settings as shell exports, so each piece can be started alone."""
    prefixes = ("DJANGO_", "BROKER_", "AWS_", "AUTH_LDAP_", "SAML_", "REDIS_", "OIDC_")
    names = sorted(k for k in env if k.startswith(prefixes))
    path = STATE / "env"
    path.write_text("".join(f"export {name}={shlex.quote(env[name])}\n" for name in names))
    path.chmod(0o600)
    return path


def _directory(supervisor: Supervisor, env: dict[str, str]) -> Any:
    """The demo company directory: a real slapd with alice, bob, carol and nested groups.

    The broker reaches it like a production directory: a read-only search
    account whose password comes from a file (``AUTH_LDAP_BIND_PASSWORD_FILE``).
    """
    from devtools.demo_directory import DemoDirectory

    password = _persistent_secret("ldap-bind-password", lambda: secrets.token_urlsafe(24))
    directory = DemoDirectory(service_password=password, port=_port("DEMO_LDAP_PORT", 3389))
    directory.start()
    supervisor.children.append(("slapd", directory._proc))
    directory.seed()
    env.update(directory.broker_env())
    del env["AUTH_LDAP_BIND_PASSWORD"]
    env["AUTH_LDAP_BIND_PASSWORD_FILE"] = str(STATE / "ldap-bind-password")
    return directory


class Stopping(KeyboardInterrupt):
    """The first SIGTERM/SIGINT: leave whatever the demo was doing and stop it."""


class Signals:
    """Turns the first SIGTERM or SIGINT into ``Stopping``; later ones only say so."""

    def __init__(self) -> None:
        self.stopping = False

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._received)

    def _received(self, signum: int, frame: object) -> None:
        if self.stopping:
            # os.write, not print: print may be half-way through a line in the main thread.
            os.write(sys.stderr.fileno(), b"run: already stopping\n")
            return
        self.stopping = True
        raise Stopping()


class Supervisor:
    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, argv: list[str], env: dict[str, str], *, quiet: bool = False
    ) -> subprocess.Popen[bytes]:
        """Start a child; ``quiet`` ones log to .demo/NAME.log instead of the terminal."""
        output = (STATE / f"{name}.log").open("ab") if quiet else None
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=output, stderr=output)  # noqa: S603
        self.children.append((name, child))
        return child

    def stop(self) -> None:
        for _, child in reversed(self.children):
            if child.poll() is None:
                child.terminate()
        for name, child in self.children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                print(f"run: {name} did not stop; killing it")
                child.kill()

    def watch(self) -> None:
        while True:
            for name, child in self.children:
                if child.poll() is not None:
                    raise SystemExit(f"run: {name} exited with {child.returncode}; stopping the demo")
            time.sleep(1)


def _redis(supervisor: Supervisor, env: dict[str, str]) -> str:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    if "DEMO_REDIS_PORT" not in os.environ and _answers(6379):
        return f"redis://{HOST}:6379/0"
    port = _port("DEMO_REDIS_PORT", 6380)
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    supervisor.start(
        "redis", [server, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"], env
    )
    time.sleep(0.5)
    return f"redis://{HOST}:{port}/0"


def _sso(supervisor: Supervisor, env: dict[str, str]) -> str:
    """The demo SAML IdP (pysaml2): keys made in .demo/saml/ at first run, its metadata trusted."""
    from devtools.demo_idp import demo_idp

    port = _port("DEMO_IDP_PORT", 5002)
    if _answers(port):
        raise SystemExit(f"run: port {port} is taken; set DEMO_IDP_PORT")
    metadata = STATE / "saml" / "idp-metadata.xml"
    metadata.parent.mkdir(exist_ok=True)
    metadata.write_text(demo_idp(STATE, HOST, port).metadata())
    env["SAML_IDP_METADATA_FILE"] = str(metadata)
    argv = [sys.executable, "-m", "devtools.demo_idp", "--host", HOST, "--port", str(port)]
    argv += ["--state", str(STATE)]
    supervisor.start("saml-idp", argv, env)
    _wait_http(f"http://{HOST}:{port}/metadata", "the demo SAML IdP")
    return f"http://{HOST}:{port}/"


def _oidc(supervisor: Supervisor, env: dict[str, str]) -> str:
    """The demo OIDC provider (npm oidc-provider run by node): alice and bob, key kept in .demo/oidc/."""
    from devtools import oidc_provider

    port = _port("DEMO_OIDC_PORT", 5003)
    if _answers(port):
        raise SystemExit(f"run: port {port} is taken; set DEMO_OIDC_PORT")
    key_file = STATE / "oidc" / "signing-key.json"
    key_file.parent.mkdir(exist_ok=True)
    if not key_file.exists():
        key_file.write_text(json.dumps(oidc_provider.new_key("demo-1")))
        key_file.chmod(0o600)
    secret = _persistent_secret("oidc-client-secret", lambda: secrets.token_urlsafe(32))
    callback = env["BROKER_BASE_URL"] + "/oidc/callback/"
    clients = [oidc_provider.client("aws-broker", secret, [callback])]
    running = oidc_provider.start(port=port, clients=clients, keys=[json.loads(key_file.read_text())])
    supervisor.children.append(("oidc-provider", running.process))
    env.update(
        OIDC_ISSUER=running.issuer,
        OIDC_CLIENT_ID="aws-broker",
        OIDC_CLIENT_SECRET_FILE=str(STATE / "oidc-client-secret"),
        OIDC_DISPLAY_NAME="Demo OIDC",
        # alice@example.com: a separate account from the directory's alice unless an admin links them.
        OIDC_USERNAME_CLAIM="email",
    )
    return running.issuer


def _web_identity_role(env: dict[str, str]) -> None:
    """The IAM role behind prod-web-developer in moto, and its grant."""
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    if not any(r["RoleName"] == "WebDeveloper" for r in iam.list_roles()["Roles"]):
        iam.create_role(RoleName="WebDeveloper", AssumeRolePolicyDocument="{}", MaxSessionDuration=3600)
    grants = ROOT / "devtools" / "demo-grants-oidc.yaml"
    subprocess.run([sys.executable, "manage.py", "loadgrants", str(grants)], cwd=ROOT, env=env, check=True)  # noqa: S603


def main() -> None:
    STATE.mkdir(exist_ok=True)
    web, moto, signin, directory_port = (
        _port("BROKER_PORT", 8000),
        _port("DEMO_MOTO_PORT", 5000),
        _port("DEMO_SIGNIN_PORT", 5001),
        _port("DEMO_LDAP_PORT", 3389),
    )
    for port in (web, moto, signin, directory_port):
        if _answers(port):
            raise SystemExit(
                f"run: port {port} is taken; set BROKER_PORT / DEMO_MOTO_PORT / DEMO_SIGNIN_PORT"
                " / DEMO_LDAP_PORT"
            )
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="true",
        DJANGO_SECRET_KEY=_persistent_secret("secret-key", lambda: secrets.token_urlsafe(50)),
        BROKER_ENCRYPTION_KEYS=_persistent_secret("fernet-key", lambda: Fernet.generate_key().decode()),
        # localhost, not 127.0.0.1: browsers offer passkeys on http://localhost but not on an IP address.
        BROKER_BASE_URL=f"http://localhost:{web}",
        AWS_ENDPOINT_URL=f"http://{HOST}:{moto}",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        BROKER_SIGNIN_URL=f"http://{HOST}:{signin}/federation",
        BROKER_SAML_SIGNIN_URL=f"http://{HOST}:{signin}/saml",  # keyless roles: AWS's SAML sign-in
        PYTHONUNBUFFERED="1",
        PROMETHEUS_MULTIPROC_DIR=str(STATE / "prometheus"),
    )
    shutil.rmtree(STATE / "prometheus", ignore_errors=True)
    (STATE / "prometheus").mkdir()
    supervisor = Supervisor()
    signals = Signals()
    signals.install()
    directory = None
    try:
        env["REDIS_URL"] = _redis(supervisor, env)
        directory = _directory(supervisor, env)
        sso_url = _sso(supervisor, env)
        oidc_url = _oidc(supervisor, env)
        supervisor.start("moto", [str(BIN / "moto_server"), "-H", HOST, "-p", str(moto)], env, quiet=True)
        _wait_http(f"http://{HOST}:{moto}/moto-api/", "moto")
        from devtools.aws_demo import provision

        env.update(provision(env["AWS_ENDPOINT_URL"]).env())
        supervisor.start(
            "signin", [sys.executable, "-m", "devtools.signin_emulator", "--port", str(signin)], env
        )
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        subprocess.run([*manage, "seeddemo"], cwd=ROOT, env=env, check=True)  # noqa: S603
        _web_identity_role(env)
        # Keyless: moto's IAM trusts the broker's (debug-generated) signing certificate.
        subprocess.run([*manage, "awssamlprovider"], cwd=ROOT, env=env, check=True)  # noqa: S603
        subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        _write_env(env)
        supervisor.start(
            "gunicorn",
            [str(BIN / "gunicorn"), "broker.wsgi", "-b", f"{HOST}:{web}", "-c", "gunicorn.conf.py"],
            env,
        )
        supervisor.start(
            "worker", [str(BIN / "celery"), "-A", "broker", "worker", "-l", "warning", "-c", "2"], env
        )
        supervisor.start(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "broker",
                "beat",
                "-l",
                "warning",
                "-s",
                str(STATE / "celerybeat-schedule"),
            ],
            env,
        )
        _wait_http(f"http://{HOST}:{web}/healthz", "gunicorn")
        print(
            f"\n  Broker portal:  http://localhost:{web}/\n"
            f"  Admin:          http://localhost:{web}/admin/  (admin / admin-demo-pass)\n"
            "  Sign in as alice / alice-demo-pass (developers, through team-platform) or\n"
            "  bob / bob-demo-pass (auditors): directory users of the demo slapd at\n"
            f"  {env['AUTH_LDAP_SERVER_URI']}; admin is the local break-glass account.\n"
            f"  AWS is moto at {env['AWS_ENDPOINT_URL']}; console sign-in goes to the local stand-in.\n"
            "  prod-keyless is a saml role: the broker signs a SAML assertion, no AWS keys involved;\n"
            f"  its metadata: http://{HOST}:{web}/aws/saml/metadata/\n"
            "  Settings for starting a piece alone: source .demo/env\n"
            '  Or click "Sign in with SSO": the demo SAML IdP at '
            f"{sso_url} lets you pick alice or bob.\n"
            f'  Or "Sign in with Demo OIDC": the demo OIDC provider at {oidc_url} (oidc-provider)\n'
            "  takes alice or bob with any password; they become alice@example.com / bob@example.com.\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        supervisor.watch()
    except KeyboardInterrupt:
        print("\nrun: stopping", flush=True)
    finally:
        signals.stopping = True  # from here on a signal cannot interrupt the shutdown
        supervisor.stop()
        if directory is not None:
            directory.stop()
        print("run: stopped", flush=True)


if __name__ == "__main__":
    main()
