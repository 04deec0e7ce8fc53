"""The awsbroker command line on its own: help, exit codes, one-line errors, bounded waits, files.

No broker is needed for these: what is checked is how the CLI behaves when
there is none, or when it does not answer, and the pieces that do not talk
to it (the AWS config merge, the paths on each OS).
"""

from __future__ import annotations

import re
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_support import CLI_SOURCE, Cli
from tests.silent_server import silent_server as hung_server

COMMANDS = ["login", "logout", "roles", "credentials", "env", "console", "configure", "serve"]


@pytest.fixture
def offline(cli: Cli) -> Cli:
    return cli


@pytest.fixture
def configure_module(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.syspath_prepend(str(CLI_SOURCE))
    from awsbroker.commands import configure

    return configure


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A hung broker: accepts and never answers."""
    with hung_server() as url:
        yield url


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(offline, command):
    answer = offline.run(command, "--help")

    assert answer.returncode == 0 and answer.stdout.startswith(f"usage: awsbroker {command}")


def test_the_top_level_help_lists_exactly_the_commands(offline):
    answer = offline.run("--help")

    listed = re.findall(r"^    (\w+)", answer.stdout, re.MULTILINE)
    assert listed == COMMANDS


def test_without_a_url_it_says_how_to_give_one(offline):
    answer = offline.run("roles")

    assert answer.returncode == 2 and answer.stdout == ""
    assert (
        answer.stderr == "awsbroker: no broker URL: run `awsbroker login --url https://broker.example.com`\n"
    )


def test_without_a_sign_in_credential_process_says_to_log_in(offline):
    answer = offline.run("credentials", "prod-developer", AWSBROKER_URL="https://broker.example.com")

    assert answer.returncode == 3 and answer.stdout == ""
    assert answer.stderr == "awsbroker: not signed in to https://broker.example.com; run `awsbroker login`\n"


def test_an_unreachable_broker_is_one_line(offline):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    answer = offline.run("login", "--url", f"http://127.0.0.1:{port}")

    assert answer.returncode == 1
    assert answer.stderr.startswith(f"awsbroker: cannot reach the broker at http://127.0.0.1:{port}")
    assert len(answer.stderr.splitlines()) == 1 and "Traceback" not in answer.stderr


def test_a_broker_that_never_answers_does_not_hang_the_cli(offline, silent_server):
    started = time.monotonic()

    answer = offline.run("login", "--url", silent_server, AWSBROKER_HTTP_TIMEOUT="2", timeout=30)

    assert time.monotonic() - started < 15
    assert answer.returncode == 1 and "timed out" in answer.stderr and len(answer.stderr.splitlines()) == 1


def test_a_url_that_is_not_a_broker_is_refused_in_one_line(offline):
    answer = offline.run("login", "--url", "ftp://example.com")

    assert answer.returncode == 2 and "is not a broker URL" in answer.stderr


def test_a_bad_argument_is_a_usage_error(offline):
    answer = offline.run("env", "prod-developer", "--shell", "tcsh")

    assert answer.returncode == 2 and "invalid choice" in answer.stderr


def test_a_corrupt_token_file_means_not_signed_in(offline):
    (offline.home / "awsbroker").mkdir()
    (offline.home / "awsbroker" / "tokens.json").write_text("{not json")

    answer = offline.run("roles", AWSBROKER_URL="https://broker.example.com")

    assert answer.returncode == 3 and "run `awsbroker login`" in answer.stderr


def test_configure_keeps_other_lines_and_replaces_its_own(configure_module):
    before = (
        "# my settings\n[default]\nregion = eu-west-1\n\n"
        "[profile broker-old-role]\n# managed by awsbroker configure\n"
        "credential_process = x credentials old-role\n\n"
        "[profile broker-handmade]\nregion = us-east-2\n"
    )

    after = configure_module.merge(before, "broker-", ["new-role"], "/opt/bin/awsbroker")

    assert after.startswith("# my settings\n[default]\nregion = eu-west-1\n")
    assert "[profile broker-handmade]\nregion = us-east-2" in after  # not ours: kept
    assert "broker-old-role" not in after  # ours, and the role is gone
    assert after.endswith(
        "[profile broker-new-role]\n# managed by awsbroker configure\n"
        "credential_process = /opt/bin/awsbroker credentials new-role\n"
    )


def test_configure_quotes_a_windows_path_with_spaces(configure_module, monkeypatch):
    monkeypatch.setattr(
        configure_module.shutil, "which", lambda name: r"C:\Program Files\Python\awsbroker.exe"
    )

    assert configure_module.executable() == r'"C:\Program Files\Python\awsbroker.exe"'


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        (
            "win32",
            {"APPDATA": r"C:\Users\me\AppData\Roaming"},
            Path(r"C:\Users\me\AppData\Roaming") / "awsbroker",
        ),
        ("darwin", {}, Path.home() / "Library" / "Application Support" / "awsbroker"),
        ("linux", {"XDG_CONFIG_HOME": "/xdg"}, Path("/xdg/awsbroker")),
    ],
)
def test_the_cli_keeps_its_files_where_each_os_expects(monkeypatch, platform, env, expected):
    monkeypatch.syspath_prepend(str(CLI_SOURCE))
    from awsbroker import paths

    monkeypatch.delenv("AWSBROKER_HOME", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "platform", platform)

    assert paths.home() == expected


def test_the_cli_package_declares_python_3_9_and_no_dependencies():
    text = (CLI_SOURCE / "pyproject.toml").read_text()

    assert 'requires-python = ">=3.9"' in text and "dependencies = []" in text
    assert 'awsbroker = "awsbroker.main:main"' in text
