"""The authentication backend for LDAP and Active Directory sign-in.

A thin layer over django-auth-ldap's ``LDAPBackend`` that adds what an
identity broker needs and the library leaves to its users:

- blank and whitespace passwords are refused before any bind, because
  many directories treat a DN with an empty password as an anonymous
  (successful) bind;
- a directory that cannot answer raises ``DirectoryUnavailable`` inside
  the library (through its ``ldap_error`` signal) instead of looking like a
  wrong password, and the login form says so; local accounts still work;
- the user's directory groups are mirrored onto Django groups and their
  attributes stored on ``DirectoryProfile`` at every sign-in and re-check;
- a local account is never taken over by a directory entry of the same
  name, and the Django username is the directory's canonical one.
"""

from __future__ import annotations

import logging
from typing import Any

import ldap
from django.db import transaction
from django.utils import timezone
from django_auth_ldap.backend import LDAPBackend, ldap_error

from broker.directory.attributes import directory_attributes
from broker.directory.errors import DirectoryUnavailable, mark
from broker.groups import mirror_groups
from broker.models import DirectoryProfile

log = logging.getLogger(__name__)

# Attributes that name an account, best first: AD's logon name, then uid.
_CANONICAL_NAMES = ("sAMAccountName", "uid")


def describe(exc: BaseException) -> str:
    """An LDAP error as one safe log phrase: its name and libldap's own text."""
    if isinstance(exc, ldap.LDAPError) and exc.args and isinstance(exc.args[0], dict):
        details = exc.args[0]
        text = " ".join(str(details[key]) for key in ("desc", "info") if details.get(key))
        name = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        if isinstance(exc, ldap.CONNECT_ERROR):
            # libldap rarely says more about a failed TLS handshake than this.
            name += " (TLS handshake failed: is the server certificate trusted? see AUTH_LDAP_CA_CERT_FILE)"
        return name
    return type(exc).__name__


def _canonical_username(typed: str, attrs: dict[str, list[str]] | None) -> str:
    lowered = {name.lower(): values for name, values in (attrs or {}).items()}
    for name in _CANONICAL_NAMES:
        values = lowered.get(name.lower())
        if values and isinstance(values[0], str) and values[0].strip():
            return values[0].strip()
    return typed


@transaction.atomic
def sync(user: Any, ldap_user: Any) -> Any:
    """Mirror the entry's groups (removals too) and keep its attributes."""
    try:
        names = ldap_user.group_names
    except ldap.LDAPError as exc:
        raise DirectoryUnavailable(describe(exc)) from exc
    mirror_groups(user, names)
    DirectoryProfile.objects.update_or_create(
        user=user,
        defaults={
            "source": "ldap",
            "attributes": directory_attributes(ldap_user.attrs),
            "groups_checked_at": timezone.now(),
        },
    )
    return user


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap with the broker's refusals, group mirroring and outage reporting."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if not username or not username.strip() or not password or not password.strip():
            return None
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except DirectoryUnavailable as exc:
            log.warning(
                "directory sign-in for %r failed: the directory is not answering (%s)", username, exc.cause
            )
            mark(request, exc)
            return None

    def get_user(self, user_id: int) -> Any:
        """A deactivated user's live session ends at the next request, as ModelBackend's does."""
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def authenticate_ldap_user(self, ldap_user: Any, password: str) -> Any:
        user = super().authenticate_ldap_user(ldap_user, password)
        return sync(user, ldap_user) if user is not None else None

    def populate_user(self, username: str) -> Any:
        """Re-read the user from the directory with the service account (no password)."""
        user = super().populate_user(username)
        return sync(user, user.ldap_user) if user is not None else None

    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[Any, bool]:
        user, built = super().get_or_build_user(_canonical_username(username, ldap_user.attrs), ldap_user)
        if not built and user.has_usable_password():
            raise ldap_user.AuthenticationFailed(f"{user.get_username()} is a local account")
        return user, built


def _raise_unavailable(sender: Any, context: str, exception: BaseException, **kwargs: Any) -> None:
    """django-auth-ldap swallows LDAP errors; for our backend they become an outage."""
    if isinstance(sender, type) and issubclass(sender, DirectoryBackend):
        raise DirectoryUnavailable(f"{context}: {describe(exception)}") from exception


ldap_error.connect(_raise_unavailable, dispatch_uid="broker.directory.unavailable")
