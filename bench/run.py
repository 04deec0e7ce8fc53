"""``make bench``: the API's warm path against gunicorn, and refresh-ahead throughput.

Everything runs on loopback with bounded loops: a redis-server of its own, a
stand-in STS (``bench/fakests.py``) whose latency we set, a throwaway
PostgreSQL database or a SQLite file (``bench/database.py``), gunicorn with
the project's ``gunicorn.conf.py``, and a Celery worker. It prints one table:

- requests/s and p50/p99 latency of a warm container-credentials fetch next
  to a bare ``/healthz``, measured in alternating rounds in the same run;
- STS calls per 1,000 warm requests;
- the CPU each request and each refresh costs, by process (``bench/cpu.py``);
- the time one worker takes to refresh 10,000 cached sessions with STS
  answering in 50 ms. One worker is one ``celery worker -c 2`` as deployed
  (two prefork processes for two cores), each refreshing a batch on a pool of
  16 threads (``BROKER_REFRESH_THREADS``).
"""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import cpu  # noqa: E402
from bench.database import Database  # noqa: E402
from bench.fakests import FakeSts  # noqa: E402

BIN = Path(sys.executable).parent
CLIENT_PROCESSES = 4
REQUESTS_PER_PROCESS = 1500
ROUNDS = 2
SESSIONS = 10_000
WORKER_PROCESSES = 2  # one worker as deployed: `celery worker -c 2` (prefork) on 2 cores
WORKER_THREADS = 16  # BROKER_REFRESH_THREADS: refreshes each process runs at once
STS_DELAY = 0.05


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, what: str, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"bench: {what} did not come up")


def _hammer(args: tuple[int, str, dict[str, str], int]) -> tuple[float, float, list[float]]:
    """One client process: keep-alive GETs; returns (start, end, latencies)."""
    port, path, headers, count = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get() -> None:
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        body = answer.read()
        if answer.status != 200:
            raise SystemExit(f"bench: {path} answered {answer.status}: {body[:200]!r}")

    for _ in range(20):
        get()
    latencies = []
    start = time.perf_counter()
    for _ in range(count):
        began = time.perf_counter()
        get()
        latencies.append(time.perf_counter() - began)
    return start, time.perf_counter(), latencies


def measure(
    pool: ProcessPoolExecutor, port: int, path: str, headers: dict[str, str]
) -> tuple[float, list[float]]:
    jobs = [(port, path, headers, REQUESTS_PER_PROCESS)] * CLIENT_PROCESSES
    results = list(pool.map(_hammer, jobs))
    elapsed = max(end for _, end, _ in results) - min(start for start, _, _ in results)
    latencies = [lat for _, _, lats in results for lat in lats]
    return len(latencies) / elapsed, latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


class Stack:
    """The services under test; stopped together."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="broker-bench-"))
        self.children: list[subprocess.Popen[bytes]] = []
        self.sts = FakeSts()
        self.database = Database(self.tmp)
        self.env = dict(os.environ)

    def spawn(self, argv: list[str], log: str) -> subprocess.Popen[bytes]:
        out = open(self.tmp / log, "wb")  # noqa: SIM115 - lives as long as the child
        child = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.children.append(child)
        return child

    def manage(self, *args: str) -> str:
        argv = [sys.executable, "-m", "django", *args]
        return subprocess.run(argv, cwd=ROOT, env=self.env, check=True, capture_output=True, text=True).stdout

    def start(self) -> None:
        redis_port = free_port()
        redis_server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.spawn(
            [redis_server, "--bind", "127.0.0.1", "--port", str(redis_port), "--save", ""], "redis.log"
        )
        self.database.create()
        self.env.update(
            DJANGO_DEBUG="false",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            BROKER_ENCRYPTION_KEYS=__import__("cryptography.fernet").fernet.Fernet.generate_key().decode(),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=self.database.url,
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            AWS_ENDPOINT_URL=self.sts.start(),
            AWS_ACCESS_KEY_ID="AKIABENCHBENCHBENCH0",
            AWS_SECRET_ACCESS_KEY="bench-secret",  # noqa: S106 - the stand-in STS checks nothing
            AWS_REGION="us-east-1",
            BROKER_ROLE_CHAINING="false",
            BROKER_API_RATE="1000000/second",
            LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="bench.settings",
            PYTHONPATH=str(ROOT),
        )
        self.env.pop("AWS_SESSION_TOKEN", None)
        self.manage("migrate", "--no-input", "-v0")
        self.manage("loadgrants", str(ROOT / "devtools" / "demo-grants.yaml"))
        out = self.manage(
            "createapiclient", "bench", "--role", "prod-developer", "--max-session-seconds", "43200"
        )
        self.token = out.strip().splitlines()[-1]
        self.web_port = free_port()
        self.spawn(
            [
                str(BIN / "gunicorn"),
                "broker.wsgi",
                "-c",
                "gunicorn.conf.py",
                "-b",
                f"127.0.0.1:{self.web_port}",
            ]
            + ["--access-logfile", "/dev/null"],
            "gunicorn.log",
        )
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.web_port), 1), "gunicorn")

    def stop(self) -> None:
        for child in reversed(self.children):
            child.terminate()
        for child in self.children:
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                child.kill()
        self.sts.shutdown()
        self.database.drop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def web_rounds(stack: Stack) -> dict[str, object]:
    credentials = "/api/v1/roles/prod-developer/credentials"
    auth = {"Authorization": stack.token}
    results: dict[str, list] = {"healthz": [0.0, [], {}], "credentials": [0.0, [], {}]}  # type: ignore[type-arg]
    with ProcessPoolExecutor(CLIENT_PROCESSES) as pool:
        _hammer((stack.web_port, credentials, auth, 1))  # the one miss: the cache is warm from here
        calls_before = stack.sts.calls
        for _ in range(ROUNDS):
            for name, path, headers in (("healthz", "/healthz", {}), ("credentials", credentials, auth)):
                before = cpu.snapshot()
                rate, latencies = measure(pool, stack.web_port, path, headers)
                costs = cpu.per_unit(before, cpu.snapshot(), len(latencies) * ROUNDS)
                results[name][0] += rate / ROUNDS
                results[name][1] += latencies
                results[name][2] = {k: results[name][2].get(k, 0.0) + v for k, v in costs.items()}
        warm_calls = stack.sts.calls - calls_before
    warm_requests = CLIENT_PROCESSES * (REQUESTS_PER_PROCESS + 20) * ROUNDS
    return {"results": results, "sts_per_1000": warm_calls * 1000 / warm_requests}


def _populate(count: int) -> list[str]:
    """``count`` cached sessions for the bench client, all due for refresh now."""
    import django

    django.setup()
    from datetime import UTC, datetime, timedelta

    from broker.apitokens.models import ApiClient
    from broker.apitokens.tokens import subject_caller
    from federation import credcache, delivery, sts

    caller = subject_caller(ApiClient.objects.get(name="bench").subject)
    ids = []
    for index in range(count):
        spec = delivery.plan(caller, alias="prod-developer", duration_seconds=900 + index, policy=None)
        expires = datetime.now(UTC) + timedelta(seconds=300)
        fake = sts.Credentials(
            "ASIAOLD", "old-secret", "old-token", expires, "arn:aws:sts::1:x", "assume_role"
        )
        credcache.store(spec, credcache.Entry(credentials=fake, issued_at=time.time() - spec.duration + 300))
        ids.append(spec.key_id)
    return ids


def refresh_round(stack: Stack) -> dict[str, Any]:
    os.environ.update(stack.env)
    _populate(SESSIONS)
    from federation import tasks
    from federation.models import Issuance

    stack.sts.delay = STS_DELAY
    calls_before = stack.sts.calls
    cpu_before = cpu.snapshot()
    worker = [str(BIN / "celery"), "-A", "broker", "worker", "-l", "warning", "-c", str(WORKER_PROCESSES)]
    stack.env["BROKER_REFRESH_THREADS"] = str(WORKER_THREADS)
    stack.spawn([*worker, "--without-mingle", "--without-gossip"], "worker.log")
    time.sleep(3)  # the worker connects
    began = time.time()
    refreshes = Issuance.objects.filter(purpose="api-refresh")  # each refresh leaves one ledger row

    deadline, tick = time.monotonic() + 900, 0.0
    while refreshes.count() < SESSIONS and time.monotonic() < deadline:
        if time.monotonic() >= tick:  # what beat does every 30 s
            tasks.refresh_due.delay()
            tick = time.monotonic() + 30
        time.sleep(0.2)
    elapsed = time.time() - began
    done = refreshes.count()
    costs = cpu.per_unit(cpu_before, cpu.snapshot(), max(done, 1))
    return {
        "cpu": cpu.describe(costs),
        "seconds": elapsed,
        "refreshed": done,
        "rate": done / elapsed,
        "sts": stack.sts.calls - calls_before,
    }


def main() -> None:
    stack = Stack()
    try:
        stack.start()
        web = web_rounds(stack)
        refresh = refresh_round(stack)
    finally:
        stack.stop()
    report(stack, web, refresh)


def report(stack: Stack, web: dict[str, object], refresh: dict[str, Any]) -> None:
    results = web["results"]
    print("\n| measure | /healthz | warm container-credentials fetch |")
    print("|---|---|---|")
    health, creds = results["healthz"], results["credentials"]  # type: ignore[index]
    print(f"| requests/s | {health[0]:.0f} | {creds[0]:.0f} ({creds[0] / health[0]:.0%} of /healthz) |")
    print(f"| p50 latency | {percentile(health[1], 0.5):.1f} ms | {percentile(creds[1], 0.5):.1f} ms |")
    print(f"| p99 latency | {percentile(health[1], 0.99):.1f} ms | {percentile(creds[1], 0.99):.1f} ms |")
    print(f"| STS calls per 1,000 requests | - | {web['sts_per_1000']:.2f} |")
    print(f"| CPU per request, all processes | {cpu.describe(health[2])} | {cpu.describe(creds[2])} |")
    print(
        f"\nRefresh ahead: {refresh['refreshed']:.0f} of {SESSIONS} cached sessions refreshed in "
        f"{refresh['seconds']:.1f} s by one worker (`celery worker -c {WORKER_PROCESSES}`, "
        f"{WORKER_THREADS} refresh threads per process) with STS answering in {STS_DELAY * 1000:.0f} ms: "
        f"{refresh['rate']:.0f} sessions/s ({refresh['rate'] / WORKER_PROCESSES:.0f} per process), "
        f"{refresh['sts']:.0f} STS calls; CPU per refresh, all processes: {refresh['cpu']}."
    )
    print(
        f"Load: {CLIENT_PROCESSES} client processes x {REQUESTS_PER_PROCESS} keep-alive requests, "
        f"{ROUNDS} alternating rounds; gunicorn.conf.py defaults; {os.cpu_count()} CPUs; "
        f"database: {stack.database.label}."
    )


if __name__ == "__main__":
    main()
