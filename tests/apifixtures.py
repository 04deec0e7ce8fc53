"""Fixtures for the API, the credential cache and the refresh worker.

Real services: Redis (127.0.0.1:6379 db 11 when it answers, else a
redis-server started here on a free port), moto, and a real Celery worker
consuming from a queue of its own. Each test gets its own Redis key prefix,
and its keys are deleted afterwards (never FLUSHDB/FLUSHALL).
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
import redis
from django.core.management import call_command
from django.test import Client

from broker.apitokens.models import ApiClient
from federation import credcache, sts
from federation.credcache import refreshing

REDIS_DB = 11

# What tests/conftest.py re-exports: the fixtures. Helpers are imported by name.
__all__ = ["redis_url", "cache_redis", "sts_calls", "billing_token", "billing", "api", "celery_worker"]


def start_redis(port: int) -> subprocess.Popen[bytes]:
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    argv = [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            redis.Redis.from_url(url).ping()
            return child
        except redis.ConnectionError:
            time.sleep(0.05)
    child.kill()
    raise RuntimeError("redis-server did not start")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    shared = f"redis://127.0.0.1:6379/{REDIS_DB}"
    try:
        redis.Redis.from_url(shared, socket_connect_timeout=0.5).ping()
        yield shared
        return
    except redis.RedisError:
        pass
    from tests.conftest import free_port

    port = free_port()
    child = start_redis(port)
    yield f"redis://127.0.0.1:{port}/{REDIS_DB}"
    child.terminate()
    child.wait(10)


def delete_prefix(url: str, prefix: str) -> None:
    try:
        connection = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        keys = list(connection.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            connection.delete(*keys)
    except redis.RedisError:
        pass


@pytest.fixture
def cache_redis(settings, redis_url: str) -> Iterator[redis.Redis]:  # type: ignore[no-untyped-def]
    """The broker's Redis for this test: a dedicated db and a key prefix of its own."""
    settings.REDIS_URL = redis_url
    settings.BROKER_CACHE_PREFIX = f"test:{uuid.uuid4().hex[:8]}:"
    yield redis.Redis.from_url(redis_url)
    delete_prefix(redis_url, settings.BROKER_CACHE_PREFIX)


@pytest.fixture
def sts_calls(aws: str) -> Counter[str]:
    """Every STS operation the broker's own client makes in this test, by name."""
    calls: Counter[str] = Counter()

    def count(model: Any, **kwargs: Any) -> None:
        calls[model.name] += 1

    sts.client().meta.events.register("before-call.sts", count)
    return calls


def issuing(calls: Counter[str]) -> int:
    return calls["AssumeRole"] + calls["GetFederationToken"]


def create_client(name: str, *roles: str, **options: Any) -> str:
    """``manage.py createapiclient``; returns the token from the last line of its output."""
    out = StringIO()
    argv = [name]
    for role in roles:
        argv += ["--role", role]
    for key, value in options.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    call_command("createapiclient", *argv, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


@pytest.fixture
def billing_token(grants) -> str:  # type: ignore[no-untyped-def]
    """An application allowed prod-developer and prod-s3-reader, sessions up to 2 h."""
    return create_client("billing", "prod-developer", "prod-s3-reader", max_session_seconds=7200)


@pytest.fixture
def billing(billing_token: str) -> ApiClient:
    return ApiClient.objects.get(name="billing")


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def api(aws: str, cache_redis: redis.Redis, billing_token: str) -> Client:
    """An HTTP client for the billing application, with moto and Redis behind the broker."""
    return bearer(billing_token)


@pytest.fixture
def celery_worker(settings, redis_url: str) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A real Celery worker (in a thread of this process) on a queue of its own."""
    from celery.contrib.testing.worker import start_worker

    from broker.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    app.conf.update(broker_url=redis_url, task_default_queue=queue, task_always_eager=False)
    app.amqp.__dict__.pop("queues", None)
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30) as w:
        yield w
    refreshing.close_connections()  # the worker's refresh threads keep theirs open
    delete_prefix(redis_url, queue)


def wait_until(check: Callable[[], Any], *, seconds: float = 15, message: str = "") -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(message or "condition not met in time")


def spec_for(token: str, alias: str) -> Any:
    """The cache key a request with ``token`` for ``alias`` (default terms) uses."""
    from broker.apitokens.tokens import verify
    from federation.delivery import plan

    return plan(verify(token, source_ip=None), alias=alias, duration_seconds=None, policy=None)


def age(spec: Any, *, remaining: float, used: bool = True) -> Any:
    """Make the cached session look ``remaining`` seconds from expiry, as time would."""
    import dataclasses
    from datetime import UTC, datetime, timedelta

    entry = credcache.peek(spec)
    credentials = dataclasses.replace(
        entry.credentials, expiration=datetime.now(UTC) + timedelta(seconds=remaining)
    )
    aged = credcache.Entry(credentials=credentials, issued_at=time.time() - (spec.duration - remaining))
    credcache.store(spec, aged, used=used)
    return aged


def api_token_of(client: Client) -> str:
    return client.defaults["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
