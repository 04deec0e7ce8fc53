"""The credential cache: hits skip STS, misses are shared, values are sealed to their key."""

from __future__ import annotations

import subprocess
import threading
from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet
from django.db import connections
from django.test import Client

from broker.models import AuditEvent
from federation import credcache
from federation.credcache import keys as cache_keys
from federation.models import Grant
from tests.apifixtures import bearer, create_client, issuing, spec_for

CREDENTIALS = "/api/v1/roles/prod-developer/credentials"


@pytest.mark.django_db
def test_a_cache_hit_makes_no_sts_call(api, sts_calls):
    first = api.get(CREDENTIALS).json()
    assert issuing(sts_calls) == 1

    for _ in range(5):
        again = api.get(CREDENTIALS).json()
        assert again["AccessKeyId"] == first["AccessKeyId"]
    assert issuing(sts_calls) == 1
    assert AuditEvent.objects.filter(action="credentials.delivered").count() == 6


@pytest.mark.django_db
def test_formats_share_one_session_but_terms_do_not(api, sts_calls):
    container = api.get(CREDENTIALS).json()
    process = api.get(CREDENTIALS + "?format=process").json()
    longer = api.post(
        "/api/v1/sessions/",
        {"role": "prod-developer", "duration_seconds": 7200},
        content_type="application/json",
    )

    assert container["AccessKeyId"] == process["AccessKeyId"]
    assert longer.json()["AccessKeyId"] != container["AccessKeyId"]
    assert issuing(sts_calls) == 2


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_misses_make_one_sts_call(api, billing_token, sts_calls):
    assert api.get("/api/v1/roles/").status_code == 200  # token's last use recorded before the rush
    start = threading.Barrier(20)
    answers: list[tuple[int, str]] = []

    def ask() -> None:
        start.wait()
        response = bearer(billing_token).get(CREDENTIALS)
        answers.append((response.status_code, response.json().get("AccessKeyId", "")))
        connections.close_all()

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(answers) == 20 and {status for status, _ in answers} == {200}
    assert len({key for _, key in answers}) == 1
    assert sts_calls["AssumeRole"] == 1
    assert AuditEvent.objects.filter(action="credentials.delivered").count() == 20


@pytest.mark.django_db
def test_a_value_moved_to_another_key_fails_to_decrypt(api, cache_redis, grants, sts_calls):
    other_token = create_client("other", "prod-developer")
    mine = api.get(CREDENTIALS).json()
    theirs = bearer(other_token).get(CREDENTIALS).json()
    my_spec, their_spec = spec_for(api_token(api), "prod-developer"), spec_for(other_token, "prod-developer")
    my_key, their_key = (f"{cache_keys.key('v', s.key_id)}" for s in (my_spec, their_spec))

    # Swap the two ciphertexts in Redis, as someone with write access to Redis could.
    mine_blob, theirs_blob = cache_redis.get(my_key), cache_redis.get(their_key)
    cache_redis.set(my_key, theirs_blob, keepttl=True)
    cache_redis.set(their_key, mine_blob, keepttl=True)

    assert credcache.open_value(my_spec, theirs_blob) is None
    again = api.get(CREDENTIALS).json()
    assert again["AccessKeyId"] not in (mine["AccessKeyId"], theirs["AccessKeyId"])
    assert issuing(sts_calls) == 3  # a fresh session, never the other client's


@pytest.mark.django_db
def test_no_secret_is_readable_in_redis(api, cache_redis, redis_url):
    body = api.get(CREDENTIALS).json()

    prefix = f"{cache_keys.key('')}"
    keys = [key.decode() for key in cache_redis.scan_iter(match=f"{prefix}*")]
    assert any(":v:" in key for key in keys) and any(":m:" in key for key in keys)
    url = urlsplit(redis_url)
    dumped = ""
    for key in keys:
        kind = cache_redis.type(key).decode()
        command = {"string": "GET", "hash": "HGETALL", "zset": "ZRANGE"}[kind]
        extra = ["0", "-1"] if kind == "zset" else []
        argv = [
            "redis-cli",
            "-h",
            url.hostname,
            "-p",
            str(url.port),
            "-n",
            url.path.strip("/"),
            command,
            key,
            *extra,
        ]
        dumped += subprocess.run(argv, capture_output=True, check=True).stdout.decode("latin-1")
    assert dumped
    for secret in (body["SecretAccessKey"], body["Token"], body["AccessKeyId"]):
        assert secret not in dumped
    assert "api:billing" not in " ".join(keys)  # key names do not name the client either


@pytest.mark.django_db
def test_keys_rotate_through_broker_encryption_keys(api, settings, sts_calls):
    first = api.get(CREDENTIALS).json()

    settings.BROKER_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.BROKER_ENCRYPTION_KEYS]
    assert api.get(CREDENTIALS).json()["AccessKeyId"] == first["AccessKeyId"]  # old key still opens

    settings.BROKER_ENCRYPTION_KEYS = settings.BROKER_ENCRYPTION_KEYS[:1]
    assert api.get(CREDENTIALS).json()["AccessKeyId"] != first["AccessKeyId"]  # retired key: a miss
    assert issuing(sts_calls) == 2


@pytest.mark.django_db
def test_a_removed_grant_stops_a_cached_session_at_once(api, billing):
    assert api.get(CREDENTIALS).status_code == 200
    Grant.objects.filter(group=billing.group, role__alias="prod-developer").delete()

    assert api.get(CREDENTIALS).status_code == 403


def api_token(client: Client) -> str:
    return client.defaults["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
