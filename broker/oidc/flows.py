"""The sign-ins this browser started: state, nonce and PKCE verifier, kept in its session.

``/oidc/login/`` adds a flow under a fresh random ``state``; the callback
takes it out (once) by the ``state`` the provider sends back. A callback whose
state this session does not hold (tampered, replayed, or started by another
browser: login CSRF) finds nothing. The provider's redirect to the callback is
a top-level GET, so the ``SameSite=Lax`` session cookie comes with it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import asdict, dataclass

from django.http import HttpRequest

SESSION_KEY = "oidc_flows"
MAX_FLOWS = 5  # sign-ins one browser may have under way at once (several tabs)
FLOW_SECONDS = 600


@dataclass(frozen=True)
class Flow:
    state: str
    nonce: str
    verifier: str
    next_url: str
    started: float


def _key(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def start(request: HttpRequest, next_url: str) -> Flow:
    flow = Flow(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(48),
        next_url=next_url,
        started=time.time(),
    )
    flows = dict(request.session.get(SESSION_KEY, {}))
    flows[_key(flow.state)] = asdict(flow)
    request.session[SESSION_KEY] = dict(sorted(flows.items(), key=lambda kv: kv[1]["started"])[-MAX_FLOWS:])
    return flow


def take(request: HttpRequest, state: str) -> Flow | None:
    """The flow ``state`` names, removed from the session; None if unknown or too old."""
    flows = dict(request.session.get(SESSION_KEY, {}))
    found = flows.pop(_key(state), None) if state else None
    request.session[SESSION_KEY] = flows
    if found is None or time.time() - found["started"] > FLOW_SECONDS:
        return None
    return Flow(**found)
