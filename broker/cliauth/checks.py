"""Start-up checks (``manage.py check``) on the CLI's OAuth settings.

The protections this door relies on are library settings anyone could
change in one line; a change that weakens them is an error at start-up, not
a surprise in production.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from broker.cliauth import config

REQUIRED = {
    "PKCE_REQUIRED": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "OAUTH2_VALIDATOR_CLASS": "broker.cliauth.validator.CliValidator",
}


@checks.register(checks.Tags.security)
def oauth_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    configured = getattr(settings, "OAUTH2_PROVIDER", {})
    errors: list[checks.CheckMessage] = [
        checks.Error(f"OAUTH2_PROVIDER[{name!r}] must be {value!r} for the CLI sign-in", id="cliauth.E001")
        for name, value in REQUIRED.items()
        if configured.get(name) != value
    ]
    if not all(
        uri.startswith(("http://127.0.0.1/", "http://[::1]/")) for uri in config.REDIRECT_URIS.split()
    ):
        errors.append(
            checks.Error("the CLI client may redirect to loopback addresses only", id="cliauth.E002")
        )
    if settings.BROKER_CLI_ACCESS_TOKEN_SECONDS > 3600:
        errors.append(
            checks.Warning(
                "CLI access tokens live longer than an hour", id="cliauth.W001", hint="keep them short"
            )
        )
    return errors
