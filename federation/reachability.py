"""Is the STS endpoint this broker uses reachable? (for ``/readyz``)."""

from __future__ import annotations

from broker.reachability import tcp_state
from federation import sts


def sts_endpoint() -> str:
    return tcp_state(sts.client().meta.endpoint_url)
