"""Test settings: the production settings module with run-time secrets.

Keys are generated per run, never committed. Everything else is the real
configuration, so the tests exercise what production runs.
"""

import os
import secrets

from cryptography.fernet import Fernet

os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("BROKER_ENCRYPTION_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("BROKER_ROLE_CHAINING", "auto")
# Redis keys of tests that use no prefix of their own stay apart from other runs on a shared Redis
# (e.g. the role-chaining answer a stubbed STS gave; the failed-authentication counters).
os.environ.setdefault("BROKER_CACHE_PREFIX", f"test:run-{secrets.token_hex(4)}:")

from broker.settings import *  # noqa: E402,F403

# Hashing cost is not under test; speed is.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
