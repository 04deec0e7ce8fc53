"""The one exception every SAML refusal travels as, naming the check that failed."""

from __future__ import annotations


class SamlRefused(Exception):
    """A SAML message failed ``check``; ``detail`` says why in words a person can act on.

    The check name is stable (tests, audit queries and dashboards rely on it);
    the detail may change. Neither ever carries the message itself.
    """

    def __init__(self, check: str, detail: str, *, actor: str = "") -> None:
        super().__init__(f"{check}: {detail}")
        self.check = check
        self.detail = detail
        self.actor = actor
