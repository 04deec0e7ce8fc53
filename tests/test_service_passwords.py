"""Database and Redis passwords come from their own settings (files in production), never in the URL
written in the compose file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from broker.env import with_password
from tests.conftest import ROOT


def test_a_password_goes_into_the_url_quoted_and_the_user_kept():
    assert with_password("redis://redis:6379/0", "p@ss:w/rd") == "redis://:p%40ss%3Aw%2Frd@redis:6379/0"
    assert with_password("redis://cache@[::1]:6380/2", "x") == "redis://cache:x@[::1]:6380/2"
    assert with_password("redis://redis:6379/0", "") == "redis://redis:6379/0"


def test_password_files_reach_the_database_and_redis_settings(tmp_path):
    (tmp_path / "db").write_text("db-secret\n")
    (tmp_path / "redis").write_text("redis secret\n")
    env = {
        **os.environ,
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": "postgres://broker@db:5432/broker",
        "DATABASE_PASSWORD_FILE": str(tmp_path / "db"),
        "REDIS_URL": "redis://redis:6379/0",
        "REDIS_PASSWORD_FILE": str(tmp_path / "redis"),
    }
    code = (
        "import json, django; from django.conf import settings as s; django.setup(); "
        "print(json.dumps([s.DATABASES['default']['PASSWORD'], s.CACHES['default']['LOCATION'], "
        "s.CELERY_BROKER_URL]))"
    )
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "broker.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    database, cache, celery = json.loads(result.stdout.strip().splitlines()[-1])
    assert database == "db-secret"
    assert cache == celery == "redis://:redis%20secret@redis:6379/0"
