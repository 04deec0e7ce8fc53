"""The one OAuth client: the ``awsbroker`` CLI, public (no secret), loopback redirects only.

Registered by a data migration (``ensure_client``), so a fresh database
serves the CLI with no admin step, and again on first use if the table was
emptied since (``registered``). ``differences`` names what an admin changed.
"""

from __future__ import annotations

from typing import Any

from broker.cliauth import config

FIELDS = {
    "name": config.CLIENT_NAME,
    "client_type": "public",
    "authorization_grant_type": "authorization-code",
    "client_secret": "",
    "hash_client_secret": False,
    "redirect_uris": config.REDIRECT_URIS,
    "skip_authorization": False,
    "algorithm": "",
}


def ensure_client(application_model: Any) -> Any:
    """Create or reset the CLI client (the model is passed so a migration can use its historical one)."""
    client, _ = application_model.objects.update_or_create(client_id=config.CLIENT_ID, defaults=FIELDS)
    return client


def registered() -> None:
    """Make sure the client exists: a database emptied after migrating (a flush) gets it back."""
    from oauth2_provider.models import get_application_model

    model = get_application_model()
    if not model.objects.filter(client_id=config.CLIENT_ID).exists():
        ensure_client(model)


def differences(client: Any) -> list[str]:
    """Fields of a registered client that are not what the CLI needs."""
    return [name for name, value in FIELDS.items() if getattr(client, name) != value]
