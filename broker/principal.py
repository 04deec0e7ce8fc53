"""Who is asking: a username, the groups that decide access, and attributes.

Every sign-in method (local, LDAP, SAML, API token) ends in a ``Principal``
so that the access decision never needs to know how the caller signed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Principal:
    username: str
    groups: frozenset[str] = frozenset()
    attributes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    kind: str = "user"
    # This sign-in showed a second factor: a TOTP code, a passkey, a recovery code, or the SAML IdP's MFA.
    mfa: bool = False
    # Returns the person's live OIDC ID token (web identity roles); None when the sign-in has none.
    web_identity: Callable[[], str] | None = field(default=None, compare=False, repr=False)
    # Which one (broker.mfa.policy: "webauthn", "totp", "recovery", "idp"); "webauthn" is phishing-resistant.
    mfa_method: str = ""

    @classmethod
    def from_user(cls, user: Any, *, web_identity: Callable[[], str] | None = None) -> Principal:
        profile = getattr(user, "directory", None) if hasattr(user, "directory") else None
        return cls(
            username=user.get_username(),
            groups=frozenset(user.groups.values_list("name", flat=True)),
            attributes=dict(profile.attributes) if profile else {},
            # Set on request.user by broker.mfa.middleware; a user loaded any other way has none.
            mfa=bool(getattr(user, "mfa_factor", "")),
            web_identity=web_identity,
            mfa_method=getattr(user, "mfa_factor", "") or "",
        )


def principal_for(user: Any, *, web_identity: Callable[[], str] | None = None) -> Principal:
    """The principal behind a signed-in user, as the access decision must see it now.

    Identity sources that can change behind our back (a directory) re-check
    group membership here before any credential is issued: directory users'
    groups are asked for again once ``DIRECTORY_RECHECK_SECONDS`` old (see
    ``broker.directory.recheck``), and an unreachable directory raises
    ``DirectoryUnavailable`` rather than letting stale groups through.
    """
    from broker.directory.recheck import recheck_groups

    recheck_groups(user)
    return Principal.from_user(user, web_identity=web_identity)
