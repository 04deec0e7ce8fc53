"""Fixtures of the fault-injection suite: the deployed stack (``stack.py``) and real outages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.stack import Deployed


@pytest.fixture(scope="module")
def deployed(aws_endpoint: str, redis_url: str) -> Iterator[Deployed]:
    """gunicorn, a throwaway database, Redis and a moto of its own; shared by a module's tests."""
    stack = Deployed(redis_url)
    try:
        stack.start()
        stack.start_web()
        yield stack
    finally:
        stack.stop()
