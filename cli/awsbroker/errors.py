"""The one exception commands raise: a message for a single stderr line, and an exit code."""

from __future__ import annotations

LOGIN_HINT = "run `awsbroker login`"


class CliError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class NotSignedIn(CliError):
    """No sign-in, or it expired or was revoked: the fix is always to sign in again."""

    def __init__(self, why: str = "not signed in") -> None:
        super().__init__(f"{why}; {LOGIN_HINT}", code=3)
