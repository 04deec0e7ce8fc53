"""CLI credential snippets for the shells people actually use.

Values are quoted for each shell so that a token with unusual characters
can never break out of the assignment when pasted.
"""

from __future__ import annotations

import shlex

from federation.sts import Credentials

_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def _values(credentials: Credentials) -> tuple[str, str, str]:
    return credentials.access_key_id, credentials.secret_access_key, credentials.session_token


def _pairs(credentials: Credentials) -> list[tuple[str, str]]:
    return list(zip(_VARIABLES, _values(credentials), strict=True))


def bash(credentials: Credentials) -> str:
    return "\n".join(f"export {name}={shlex.quote(value)}" for name, value in _pairs(credentials))


def fish(credentials: Credentials) -> str:
    return "\n".join(f"set -gx {name} {shlex.quote(value)}" for name, value in _pairs(credentials))


def powershell(credentials: Credentials) -> str:
    def quote(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    return "\n".join(f"$Env:{name} = {quote(value)}" for name, value in _pairs(credentials))


def credentials_file(credentials: Credentials, *, profile: str) -> str:
    key, secret, token = _values(credentials)
    return (
        f"[{profile}]\n"
        f"aws_access_key_id = {key}\n"
        f"aws_secret_access_key = {secret}\n"
        f"aws_session_token = {token}"
    )


def all_formats(credentials: Credentials, *, profile: str) -> list[tuple[str, str]]:
    """(label, text) pairs in the order the credentials page shows them."""
    return [
        ("bash / zsh", bash(credentials)),
        ("fish", fish(credentials)),
        ("PowerShell", powershell(credentials)),
        ("~/.aws/credentials", credentials_file(credentials, profile=profile)),
    ]


def values(credentials: Credentials) -> list[tuple[str, str, str]]:
    """(id, label, value) for each value the page offers to copy on its own."""
    return [
        ("v-key", "Access key ID", credentials.access_key_id),
        ("v-secret", "Secret access key", credentials.secret_access_key),
        ("v-token", "Session token", credentials.session_token),
    ]
