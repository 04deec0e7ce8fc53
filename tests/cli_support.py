"""Fixtures for the awsbroker CLI tests: a live broker, the CLI as a subprocess, a scripted browser.

The CLI runs exactly as a person runs it: ``python -m awsbroker`` in a child
process with its own home (``AWSBROKER_HOME``), AWS config file and no
keyring (``AWSBROKER_NO_KEYRING``: the 0600 file). The "browser" is a
``requests`` session that signs in on the live server's form and clicks
through the pages a person would; ``BROWSER=true`` keeps the CLI from
opening a real one, and the test follows the URL the CLI prints instead.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from federation import chaining

ROOT = Path(__file__).resolve().parent.parent
CLI_SOURCE = ROOT / "cli"
AWS_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")

__all__ = ["broker_url", "cli_home", "cli"]


# Browser sessions a test opened, closed when it ends so no kept-alive connection outlives it.
OPEN_SESSIONS: list[requests.Session] = []


@pytest.fixture
def broker_url(live_server, aws, cache_redis, grants, settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The live broker, its public URL set to where it listens (verification URIs use it)."""
    chaining.cap()  # the broker's own STS client is made with its own keys first
    settings.BROKER_BASE_URL = live_server.url
    yield live_server.url
    while OPEN_SESSIONS:
        OPEN_SESSIONS.pop().close()


@pytest.fixture
def cli_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    return home


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in AWS_KEYS}
    env.update(
        HOME=str(home),
        AWSBROKER_HOME=str(home / "awsbroker"),
        AWSBROKER_NO_KEYRING="1",
        AWSBROKER_LOGIN_TIMEOUT="60",
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        BROWSER="true",
        PYTHONPATH=os.pathsep.join(filter(None, [str(CLI_SOURCE), os.environ.get("PYTHONPATH", "")])),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class Cli:
    home: Path
    python: str = sys.executable

    def argv(self, *args: str) -> list[str]:
        return [self.python, "-m", "awsbroker", *args]

    def run(self, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            env=cli_env(self.home, **env),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(*args),
            env=cli_env(self.home, **env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def tokens(self, url: str) -> dict[str, Any]:
        path = self.home / "awsbroker" / "tokens.json"
        return json.loads(path.read_text()).get(url, {}) if path.exists() else {}


@pytest.fixture
def cli(cli_home: Path) -> Cli:
    return Cli(cli_home)


def oldest_python() -> str | None:
    """A Python 3.9 (the oldest the CLI supports) if this machine has one (pyenv's, or on PATH)."""
    candidates = [
        shutil.which("python3.9"),
        *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3.9"))),
    ]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
        )
        if probe.returncode == 0 and probe.stdout.strip() == "(3, 9)":
            return candidate
    return None


def read_until(stream: Any, pattern: str, *, timeout: float = 30) -> re.Match[str]:
    """Read a child's output line by line until ``pattern`` matches (the URL, the code)."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(pattern, "".join(seen))
        if found:
            return found
    raise AssertionError(f"no {pattern!r} in the CLI's output: {''.join(seen)!r}")


def finish(child: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    out, err = child.communicate(timeout=timeout)
    return child.returncode, out, err


def browser(base_url: str, username: str, password: str) -> requests.Session:
    """A session signed in through the portal's own sign-in form."""
    session = requests.Session()
    OPEN_SESSIONS.append(session)
    session.get(f"{base_url}/login/", timeout=10).raise_for_status()
    answer = session.post(
        f"{base_url}/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{base_url}/login/"},
        timeout=10,
    )
    assert answer.ok and "sessionid" in session.cookies, answer.text[:500]
    return session


def form_fields(html: str) -> dict[str, str]:
    """Every named input of the page's form, with its value (hidden fields and the CSRF token)."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1).replace("&amp;", "&") if value else ""
    return fields


def approve_browser_login(session: requests.Session, authorize_url: str) -> requests.Response:
    """What a person does on the consent page: read it, press Allow (the browser then follows to the CLI)."""
    page = session.get(authorize_url, timeout=10)
    assert page.status_code == 200 and "Allow" in page.text, re.findall(r"(?s)<main>.*</main>", page.text)
    fields = form_fields(page.text)
    fields["allow"] = "Authorize"
    return session.post(page.url, data=fields, headers={"Referer": page.url}, timeout=10)


def enter_user_code(session: requests.Session, base_url: str, code: str) -> requests.Response:
    page = session.get(f"{base_url}/oauth/device/", timeout=10)
    fields = form_fields(page.text)
    fields["user_code"] = code
    return session.post(page.url, data=fields, headers={"Referer": page.url}, timeout=10)


def confirm_device(session: requests.Session, confirm_page: requests.Response, action: str = "accept") -> Any:
    fields = form_fields(confirm_page.text)
    fields["action"] = action
    return session.post(confirm_page.url, data=fields, headers={"Referer": confirm_page.url}, timeout=10)


def login_with_browser(cli: Cli, base_url: str, username: str, password: str) -> tuple[int, str, str]:
    child = cli.start("login", "--url", base_url)
    url = read_until(child.stderr, r"(http://\S+/oauth/authorize/\?\S+)").group(1)
    approve_browser_login(browser(base_url, username, password), url)
    return finish(child)
