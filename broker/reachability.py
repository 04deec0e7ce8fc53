"""Cheap reachability summaries of external systems for ``/readyz``.

A TCP connect, no credentials and no request: enough to tell an operator
"the directory or AWS is unreachable from this node" without sending a
secret or loading the dependency. Results are kept for a few seconds so a
probe every second costs nothing. They are reported, never used to mark the
node unready: an outage of the directory or AWS is not fixed by taking every
web node out of the load balancer.
"""

from __future__ import annotations

import socket
import time
import urllib.parse
from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string

CACHE_SECONDS = 15
CONNECT_TIMEOUT = 1.0
_DEFAULT_PORTS = {"ldap": 389, "ldaps": 636, "http": 80, "https": 443}
_seen: dict[str, tuple[float, str]] = {}


def tcp_state(url: str) -> str:
    """``reachable`` or ``unreachable`` for the host and port of a URL."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return "unknown"
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 443)
    try:
        with socket.create_connection((parts.hostname, port), timeout=CONNECT_TIMEOUT):
            return "reachable"
    except OSError:
        return "unreachable"


def directory() -> str:
    uri = getattr(settings, "AUTH_LDAP_SERVER_URI", "")
    if not uri or uri.startswith("ldapi:"):
        return "off" if not uri else "local"
    return tcp_state(uri.split()[0])


def summary() -> dict[str, str]:
    """Each probe named in ``BROKER_READINESS_PROBES``, cached for a few seconds."""
    now, states = time.monotonic(), {}
    for name, path in settings.BROKER_READINESS_PROBES.items():
        cached = _seen.get(name)
        if cached is None or now - cached[0] > CACHE_SECONDS:
            probe: Callable[[], str] = import_string(path)
            cached = _seen[name] = (now, probe())
        states[name] = cached[1]
    return states


def forget() -> None:
    _seen.clear()
