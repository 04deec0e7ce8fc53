"""``make run`` stops cleanly however impatiently it is stopped: several SIGTERMs in a row.

The whole demo starts (slapd, the SAML IdP, moto, the sign-in stand-in, Redis,
gunicorn, a Celery worker and beat) on free ports with its state in a
temporary folder; then it gets three SIGTERMs a fraction of a second apart,
as a container runtime or an impatient person sends them. It must exit 0
with no traceback, leave no process of its own behind and free every port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT

PORTS = (
    "BROKER_PORT",
    "DEMO_MOTO_PORT",
    "DEMO_SIGNIN_PORT",
    "DEMO_LDAP_PORT",
    "DEMO_IDP_PORT",
    "DEMO_REDIS_PORT",
)
READY = "Ctrl-C stops everything"


def distinct_free_ports(names: tuple[str, ...]) -> dict[str, int]:
    """One free port per name, all different: each socket stays bound until all are chosen."""
    held = []
    for _ in names:
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        held.append(probe)
    ports = {name: probe.getsockname()[1] for name, probe in zip(names, held, strict=True)}
    for probe in held:
        probe.close()
    return ports


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for(output: Path, text: str, demo: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in output.read_text(errors="replace"):
            return
        assert demo.poll() is None, output.read_text(errors="replace")[-3000:]
        time.sleep(0.5)
    raise AssertionError(f"the demo did not print {text!r}:\n{output.read_text(errors='replace')[-3000:]}")


def test_several_sigterms_stop_the_demo_cleanly(tmp_path):
    ports = distinct_free_ports(PORTS)
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env.update({name: str(port) for name, port in ports.items()})
    env.update(DEMO_STATE=str(tmp_path / "state"), DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    output = tmp_path / "output.log"
    with output.open("wb") as sink:
        demo = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "devtools.run"], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        wait_for(output, READY, demo, seconds=240)
        started = descendants(demo.pid)
        assert len(started) >= 7, started  # slapd, IdP, moto, sign-in, redis, gunicorn, worker, beat...
        for _ in range(3):
            demo.send_signal(signal.SIGTERM)
            time.sleep(0.3)
        assert demo.wait(timeout=90) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
    text = output.read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]
    assert "run: stopped" in text
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in started):
        time.sleep(0.2)
    assert [pid for pid in started if alive(pid)] == []
    assert [name for name, port in ports.items() if answers(port)] == []
