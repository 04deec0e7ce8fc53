"""Where the CPU goes: per-process-group CPU time read from ``/proc``, per request or refresh.

Throughput on two shared cores is set by the CPU each request costs across
every process it touches (gunicorn, PostgreSQL, Redis, the load clients), so
the bench prints that next to requests/s: it shows what a target asks for.
Linux only; elsewhere the breakdown is empty.
"""

from __future__ import annotations

import os
from pathlib import Path

GROUPS = ("gunicorn", "celery", "postgres", "redis", "bench")


def _group(command: str) -> str:
    if "gunicorn" in command:
        return "gunicorn"
    if "celery" in command:
        return "celery"
    program = command.split(" ", 1)[0]
    if program.startswith("postgres") or program.endswith("/postgres"):  # backends and the postmaster
        return "postgres"
    if "redis-server" in command:
        return "redis"
    if "bench/run.py" in command or "multiprocessing" in command:
        return "bench"  # the load clients and the stand-in STS
    return "other"


def snapshot() -> dict[str, float]:
    """CPU seconds (user + system) used so far by each group's processes, the exited ones included.

    A process's own time plus the time of its children that it has reaped
    (``cutime``/``cstime``): a PostgreSQL backend that ends between two
    snapshots is reaped by the postmaster, so its CPU stays counted instead of
    vanishing (which once showed a refresh round with no database CPU at all).
    A reaped child is no longer live, so nothing is counted twice.
    """
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = dict.fromkeys(GROUPS, 0.0)
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        group = _group(command)
        if group in used:
            used[group] += sum(int(value) for value in fields[11:15]) / tick
    return used


def per_unit(before: dict[str, float], after: dict[str, float], units: int) -> dict[str, float]:
    """Milliseconds of CPU per unit of work, by group (a process that exited is not counted)."""
    return {group: max(0.0, after[group] - before[group]) * 1000 / units for group in GROUPS}


def describe(costs: dict[str, float]) -> str:
    shown = [f"{group} {ms:.2f}" for group, ms in costs.items() if ms >= 0.005]
    return f"{sum(costs.values()):.2f} ms ({', '.join(shown)})" if shown else "-"
