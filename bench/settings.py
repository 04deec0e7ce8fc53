"""Benchmark settings: the real settings, with SQLite tuned for many concurrent writers.

Production runs PostgreSQL; the bench's throwaway SQLite file gets WAL,
IMMEDIATE transactions and a long busy timeout so writers queue instead of
failing with 'database is locked'.
"""

from broker.settings import *  # noqa: F403
from broker.settings import DATABASES

DATABASES["default"]["OPTIONS"] = {
    "timeout": 60,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
