"""``.env.example`` reads the same in Docker's env-file readers and in a shell.

Docker (``docker run --env-file``) takes each ``NAME=value`` line literally:
no quotes removed, no ``# comment`` cut off, so ``X=1  # note`` sets X to
``1  # note``. docker-compose's reader (python-dotenv rules) and a shell
(``set -a; . ./.env``) would cut the comment. The file keeps to the subset
all three agree on; this test reads it all three ways.
"""

from __future__ import annotations

import subprocess

from tests.conftest import ROOT

EXAMPLE = ROOT / ".env.example"


def docker_env_file(text: str) -> dict[str, str]:
    """The docker CLI's env-file rule: skip blank and ``#`` lines, split at the first ``=``, keep the rest."""
    values = {}
    for line in text.splitlines():
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        name, _, value = stripped.partition("=")
        values[name] = value
    return values


def shell_env(path: str) -> dict[str, str]:
    script = f'set -a; . "{path}"; env -0'
    output = subprocess.run(  # noqa: S603 - fixed argv
        ["/usr/bin/env", "-i", "/bin/sh", "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout
    return dict(item.split("=", 1) for item in output.split("\0") if item and "=" in item)


def compose_env_file(path: str) -> dict[str, str]:
    """docker-compose's own reader (Debian's docker-compose is a Python program)."""
    code = (
        "import json, sys; from compose.config.environment import env_vars_from_file; "
        "print(json.dumps(env_vars_from_file(sys.argv[1])))"
    )
    import json

    result = subprocess.run(  # noqa: S603 - fixed argv
        ["/usr/bin/python3", "-c", code, path], capture_output=True, text=True, check=True, timeout=30
    )
    return json.loads(result.stdout)


def test_docker_compose_and_a_shell_read_the_same_values():
    docker = docker_env_file(EXAMPLE.read_text())
    assert "BROKER_BASE_URL" in docker and "BROKER_ENCRYPTION_KEYS" in docker
    shell = {name: value for name, value in shell_env(str(EXAMPLE)).items() if name in docker}
    assert docker == shell
    assert docker == compose_env_file(str(EXAMPLE))


def test_no_value_line_carries_a_comment_quotes_or_spaces():
    for number, line in enumerate(EXAMPLE.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        value = line.partition("=")[2]
        assert not any(char in value for char in "#'\" \t"), f"line {number}: {line!r}"


def test_a_trailing_comment_would_be_caught(tmp_path):
    broken = tmp_path / "env"
    broken.write_text("BROKER_ENCRYPTION_KEYS=  # make one with Fernet\n")
    docker, shell = docker_env_file(broken.read_text()), shell_env(str(broken))
    assert docker["BROKER_ENCRYPTION_KEYS"] != shell["BROKER_ENCRYPTION_KEYS"]
