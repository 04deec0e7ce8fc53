"""Redis down, then back: the API keeps answering from STS while it is away, and uses the cache
again when it returns; nothing stale is served from anywhere. (Down alone: test_cache_failures.)"""

from __future__ import annotations

import pytest

from tests.apifixtures import issuing, start_redis
from tests.conftest import free_port

CREDENTIALS = "/api/v1/roles/prod-developer/credentials"


@pytest.fixture
def own_redis(settings):  # type: ignore[no-untyped-def]
    """A redis-server of this test's own on a port it keeps, so it can stop and restart it."""
    port = free_port()
    servers = [start_redis(port)]
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    yield port, servers
    for server in servers:
        server.kill()
        server.wait(10)


def stop(server) -> None:  # type: ignore[no-untyped-def]
    server.kill()
    server.wait(10)


@pytest.mark.django_db
def test_redis_down_then_back(api, own_redis, sts_calls):
    port, servers = own_redis
    first = api.get(CREDENTIALS).json()

    stop(servers[0])
    during = [api.get(CREDENTIALS) for _ in range(2)]
    assert [a.status_code for a in during] == [200, 200]
    assert first["AccessKeyId"] not in {a.json()["AccessKeyId"] for a in during}
    assert issuing(sts_calls) == 3  # one STS call per request while Redis is away

    servers.append(start_redis(port))  # back, empty (as a restarted Redis without persistence is)
    after = [api.get(CREDENTIALS).json()["AccessKeyId"] for _ in range(3)]

    assert len(set(after)) == 1  # cached again: one new session, then hits
    assert issuing(sts_calls) == 4
    assert api.get("/api/v1/roles/").status_code == 200
