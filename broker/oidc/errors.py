"""The exceptions OIDC refusals travel as, naming the check that failed."""

from __future__ import annotations


class OidcRefused(Exception):
    """A sign-in failed ``check``; ``detail`` says why in words a person can act on.

    The check name is stable (tests, audit queries and dashboards rely on
    it); the detail may change. Neither ever carries a token.
    """

    def __init__(self, check: str, detail: str, *, actor: str = "", status: int = 400, **extra: str) -> None:
        super().__init__(f"{check}: {detail}")
        self.check = check
        self.detail = detail
        self.actor = actor
        self.status = status
        self.extra = extra  # audited beside the check (e.g. the subject an admin links)


class SignInAgain(Exception):
    """The person's ID token has expired and cannot be refreshed: they must sign in again."""

    status = 401
    code = "signin_required"
