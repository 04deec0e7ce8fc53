"""gunicorn settings for the 2-core target; override with GUNICORN_CMD_ARGS."""

import os

workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Longer than the STS read timeout times its attempts, so a slow AWS answer
# is reported to the user rather than the worker being killed mid-request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "45"))
graceful_timeout = 20
accesslog = "-"
# Query strings can hold tokens on some paths; log the path only.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(D)sus'


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """Drop a dead worker's metric files so /metrics aggregates only live processes."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Learn whether AWS caps sessions (role chaining) now, not on a request's time."""
    from federation import chaining

    chaining.settle_in_background()
