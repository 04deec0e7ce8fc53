"""From verified claims to a Django user: small hooks a deployment may override.

Subclass ``UserMapper`` and name the class in ``settings.OIDC_USER_MAPPER``
to, say, strip a domain from usernames, refuse some people, or rename
groups. The account rule itself (``broker.identities``) is not a hook: a
person is found by ``(issuer, sub)``; a first sign-in creates an account
only when the username is free; an existing account needs an admin's link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string

from broker.groups import mirror_sign_in
from broker.identities import ExternalIdentity, kind_of, linked_user
from broker.oidc.errors import OidcRefused

MAX_ATTRIBUTE_CHARS = 256  # AWS session tag values; longer ones are dropped, not cut
# RFC 8176 methods that are a second factor (or a phishing-resistant first one).
MFA_METHODS = {"mfa", "otp", "hwk", "swk", "sms", "tel", "fpt", "face", "iris", "retina", "vbm", "sc"}
SKIPPED_ATTRIBUTES = {
    "aud",
    "azp",
    "exp",
    "iat",
    "nbf",
    "nonce",
    "at_hash",
    "c_hash",
    "sid",
    "auth_time",
    "jti",
}


@dataclass(frozen=True)
class Identity:
    """What the provider said about the person once every check passed."""

    issuer: str
    subject: str
    username: str
    groups: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)
    mfa: bool = False


class UserMapper:
    """Default mapping: ``OIDC_USERNAME_CLAIM`` names the user, ``OIDC_GROUPS_CLAIM`` their groups."""

    def username(self, claims: dict[str, Any]) -> str:
        name = settings.OIDC_USERNAME_CLAIM
        value = claims.get(name)
        if not isinstance(value, str) or not value.strip():
            raise OidcRefused("username", f"the provider sent no {name!r} claim")
        value = value.strip()
        if self.unverified_email(claims, name, value):
            raise OidcRefused(
                "username", "an e-mail address the provider has not verified cannot name a user"
            )
        return value

    def unverified_email(self, claims: dict[str, Any], name: str, value: str) -> bool:
        """The username would be an e-mail address the provider does not vouch for."""
        is_email = name == "email" or value == claims.get("email")
        return is_email and claims.get("email_verified") is not True

    def groups(self, claims: dict[str, Any]) -> tuple[str, ...]:
        name = settings.OIDC_GROUPS_CLAIM
        value = claims.get(name, [])
        if name not in claims and name in (claims.get("_claim_names") or {}):
            raise OidcRefused(
                "groups_overage",
                "the provider sent too many groups to fit in the token (group overage); "
                "assign only the groups the broker needs to its application, or use app roles",
            )
        values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return tuple(sorted({v.strip() for v in values if isinstance(v, str) and v.strip()}))

    def check_username(self, username: str) -> None:
        try:
            if len(username) > 150:
                raise ValidationError("longer than 150 characters")
            UnicodeUsernameValidator()(username)
        except ValidationError:
            raise OidcRefused("username", f"{username[:60]!r} cannot be a username") from None

    def mfa(self, claims: dict[str, Any]) -> bool:
        """The provider says a second factor was shown (``amr``), or an ``acr`` the admin listed."""
        amr = claims.get("amr") if isinstance(claims.get("amr"), list) else []
        acr = claims.get("acr")
        return bool(MFA_METHODS & {str(m) for m in amr}) or (
            isinstance(acr, str) and acr in settings.OIDC_MFA_ACR_VALUES
        )

    def attributes(self, claims: dict[str, Any]) -> dict[str, str]:
        """Short single strings for session tags; lists joined with ``:``; groups left out."""
        kept: dict[str, str] = {}
        for name, value in claims.items():
            if name in SKIPPED_ATTRIBUTES or name == settings.OIDC_GROUPS_CLAIM:
                continue
            text = ":".join(map(str, value)) if isinstance(value, list) else value
            if (
                isinstance(text, str | int)
                and not isinstance(text, bool)
                and len(str(text)) <= MAX_ATTRIBUTE_CHARS
            ):
                kept[name] = str(text)
        return kept

    def identity(self, claims: dict[str, Any]) -> Identity:
        username = self.username(claims)
        self.check_username(username)
        return Identity(
            issuer=claims["iss"],
            subject=claims["sub"],
            username=username,
            groups=self.groups(claims),
            attributes=self.attributes(claims),
            mfa=self.mfa(claims),
        )

    def is_authorized(self, identity: Identity, user: Any) -> bool:
        """May this person sign in to ``user`` (their linked account)? Override to refuse some."""
        return user.is_active

    def update_user(self, user: Any, identity: Identity) -> Any:
        """Mirror the groups (removals too) and keep the attributes for session tags."""
        return mirror_sign_in(user, source="oidc", groups=identity.groups, attributes=identity.attributes)

    def _first_sign_in(self, identity: Identity) -> Any:
        users = get_user_model()
        existing = users.objects.filter(username=identity.username).first()
        if existing is not None:
            raise OidcRefused(
                "authorized",
                f"{identity.username!r} is {kind_of(existing)}; an admin must link your "
                f"{settings.OIDC_DISPLAY_NAME} account to it first",
                actor=identity.username,
                status=403,
                issuer=identity.issuer,
                subject=identity.subject,
            )
        user = users.objects.create_user(identity.username)  # no usable password
        ExternalIdentity.objects.create(user=user, issuer=identity.issuer, subject=identity.subject)
        return user

    @transaction.atomic
    def user_for(self, identity: Identity) -> Any:
        user = linked_user(identity.issuer, identity.subject) or self._first_sign_in(identity)
        if not self.is_authorized(identity, user):
            raise OidcRefused(
                "authorized", "this account may not sign in", actor=identity.username, status=403
            )
        return self.update_user(user, identity)


def mapper() -> UserMapper:
    return import_string(settings.OIDC_USER_MAPPER)()
