"""Audit every sign-in, failed sign-in and sign-out, whatever the backend."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from broker import audit, metrics
from broker.netaddr import client_ip


@receiver(user_logged_in)
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    backend = getattr(user, "backend", "") or ""
    metrics.SIGNINS.labels(backend.rsplit(".", 1)[-1] or "session", "ok").inc()
    audit.record(
        "signin",
        actor=user.get_username(),
        source_ip=client_ip(request) if request else None,
        method=backend.rsplit(".", 1)[-1],
    )


@receiver(user_login_failed)
def _sign_in_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    metrics.SIGNINS.labels("password", "failed").inc()
    audit.record(
        "signin.failed",
        actor=str(credentials.get("username", ""))[:255],
        source_ip=client_ip(request) if request else None,
        outcome="denied",
    )


@receiver(user_logged_out)
def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record("signout", actor=user.get_username(), source_ip=client_ip(request))
