"""Prometheus metrics: what operators watch, defined in one place.

Under gunicorn every worker is its own process; when
``PROMETHEUS_MULTIPROC_DIR`` is set (gunicorn.conf.py and ``make run`` set
it) the scrape aggregates all of them, the Celery worker included.
"""

from __future__ import annotations

import hmac
import os

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

SIGNINS = Counter("broker_signins_total", "Sign-in attempts", ["method", "outcome"])
ISSUANCES = Counter(
    "broker_issuances_total", "Credentials issued or refused", ["method", "purpose", "outcome"]
)
STS_SECONDS = Histogram(
    "broker_sts_request_seconds",
    "STS call latency",
    ["operation"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
STS_ERRORS = Counter("broker_sts_errors_total", "STS calls that failed", ["operation", "code"])
CACHE = Counter("broker_credential_cache_total", "Credential cache lookups", ["result"])
REFRESH_LAG = Histogram(
    "broker_refresh_lag_seconds",
    "How long before expiry a cached session was refreshed (negative: after)",
    buckets=(-60, 0, 60, 300, 600, 900, 1800),
)


class QueueDepthCollector(Collector):
    """Celery's queue length, read from Redis at scrape time."""

    def collect(self):  # type: ignore[no-untyped-def]
        family = GaugeMetricFamily(
            "broker_celery_queue_depth", "Tasks waiting in the Celery queue", labels=["queue"]
        )
        try:
            client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
            family.add_metric(["celery"], client.llen("celery"))
        except redis.RedisError:
            family.add_metric(["celery"], float("nan"))
        yield family


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return registry


def _allowed(request: HttpRequest) -> bool:
    token = settings.BROKER_METRICS_TOKEN
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and offered and hmac.compare_digest(offered.encode(), token.encode()):
        return True
    # Staff sessions as for the admin: only once a second factor was shown (broker.mfa).
    user = request.user
    return bool(user.is_authenticated and user.is_staff and getattr(user, "mfa_factor", ""))


_QUEUE = QueueDepthCollector()


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse("metrics need a staff session or the BROKER_METRICS_TOKEN bearer\n", status=403)
    registry = _registry()
    body = generate_latest(registry)
    queue = CollectorRegistry()
    queue.register(_QUEUE)
    return HttpResponse(body + generate_latest(queue), content_type=CONTENT_TYPE_LATEST)
