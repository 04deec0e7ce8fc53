"""Benchmark settings: the real settings, with a SQLite database tuned for many concurrent writers.

The bench runs on PostgreSQL by default, as production does (``bench/database.py``).
With ``BENCH_DATABASE_URL=sqlite`` its throwaway SQLite file gets WAL,
IMMEDIATE transactions and a long busy timeout so writers queue instead of
failing with 'database is locked'.
"""

from broker.settings import *  # noqa: F403
from broker.settings import DATABASES

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 60,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
