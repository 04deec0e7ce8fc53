"""Audit every sign-in, failed sign-in and sign-out, whatever the backend, and every
API client change or token deletion, whether from the admin, a command or a shell."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from broker import audit, metrics
from broker.apitokens.models import ApiClient, ApiToken
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


def _client_terms(client: ApiClient) -> dict[str, Any]:
    return {
        "client": client.name,
        "is_active": client.is_active,
        "max_session_seconds": client.max_session_seconds,
        "allowed_networks": list(client.allowed_networks or []),
        "expires_at": client.expires_at.isoformat() if client.expires_at else None,
    }


@receiver(post_save, sender=ApiClient)
def _client_saved(sender: Any, instance: ApiClient, created: bool, **kwargs: Any) -> None:
    audit.record("apiclient.changed", change="created" if created else "updated", **_client_terms(instance))


@receiver(post_delete, sender=ApiClient)
def _client_deleted(sender: Any, instance: ApiClient, **kwargs: Any) -> None:
    audit.record("apiclient.changed", change="deleted", **_client_terms(instance))


@receiver(post_delete, sender=ApiToken)
def _token_deleted(sender: Any, instance: ApiToken, **kwargs: Any) -> None:
    audit.record("apitoken.revoked", token=f"brk_{instance.lookup}", change="deleted")
