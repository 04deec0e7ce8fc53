"""The one error directory sign-in raises, and how a request remembers it.

Kept free of LDAP imports so that the login form, the error table and the
middleware can name it whether or not directory sign-in is switched on.
"""

from __future__ import annotations

from typing import Any

USER_MESSAGE = "The directory is not answering, try again."
_MARK = "_directory_unavailable"


class DirectoryUnavailable(Exception):
    """The directory could not answer: down, hung, TLS refused or misconfigured.

    ``cause`` is safe to log (an LDAP error name and libldap's text); it
    never holds a password. ``str()`` is the message for the user.
    """

    status = 503
    code = "directory_unavailable"

    def __init__(self, cause: str) -> None:
        super().__init__(USER_MESSAGE)
        self.cause = cause


def mark(request: Any, exc: DirectoryUnavailable) -> None:
    """Remember on the request that sign-in failed because of the directory."""
    if request is not None:
        setattr(request, _MARK, exc)


def unavailable(request: Any) -> DirectoryUnavailable | None:
    return getattr(request, _MARK, None) if request is not None else None
