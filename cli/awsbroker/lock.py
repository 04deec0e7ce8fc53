"""A lock across processes, so two commands never spend one refresh token.

The broker revokes a whole sign-in when a refresh token is used twice
(reuse detection), and tools call ``credential_process`` in parallel. A
lock file created exclusively works the same on every OS; a lock older than
``STALE`` seconds is taken over (its process died), and waiting is bounded.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

from awsbroker import paths
from awsbroker.errors import CliError

WAIT = 20.0
STALE = 60.0


@contextlib.contextmanager
def held() -> Iterator[None]:
    path = paths.lock_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    deadline = time.monotonic() + WAIT
    while True:
        try:
            os.close(os.open(str(path), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            break
        except FileExistsError:
            with contextlib.suppress(OSError):
                if time.time() - path.stat().st_mtime > STALE:
                    path.unlink()
                    continue
            if time.monotonic() > deadline:
                raise CliError(
                    f"another awsbroker is refreshing the sign-in (lock {path}); try again"
                ) from None
            time.sleep(0.1)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
