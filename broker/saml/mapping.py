"""From a validated assertion to a Django user: small hooks a deployment may override.

Subclass ``UserMapper`` and name the class in ``settings.SAML_USER_MAPPER``
to, say, strip an e-mail domain from usernames, refuse contractors, or
rename groups. Each hook does one thing, so overriding one keeps the others.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string

from broker.groups import mirror_sign_in
from broker.identities import is_local_account
from broker.saml.errors import SamlRefused

# AWS session tag values are at most 256 characters; longer ones are dropped, not cut.
MAX_ATTRIBUTE_CHARS = 256


@dataclass(frozen=True)
class Identity:
    """What a valid assertion said about the person, before any user exists."""

    name_id: str
    username: str
    groups: tuple[str, ...] = ()
    attributes: dict[str, list[str]] = field(default_factory=dict)
    session_index: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Identity:
        return cls(**{**data, "groups": tuple(data.get("groups", ()))})


class UserMapper:
    """Default mapping: username from NameID or ``SAML_USERNAME_ATTRIBUTE``, groups mirrored."""

    def clean_attributes(self, attributes: dict[str, list[str]]) -> dict[str, list[str]]:
        """Drop empty values; override to rename or filter attributes."""
        return {name: [v for v in values if v] for name, values in attributes.items() if name}

    def username(self, name_id: str, attributes: dict[str, list[str]]) -> str:
        name = settings.SAML_USERNAME_ATTRIBUTE
        if not name:
            return name_id.strip()
        values = attributes.get(name) or []
        if len(values) != 1:
            raise SamlRefused("username", f"the attribute {name!r} must hold exactly one value")
        return values[0].strip()

    def groups(self, attributes: dict[str, list[str]]) -> tuple[str, ...]:
        return tuple(
            sorted({g.strip() for g in attributes.get(settings.SAML_GROUPS_ATTRIBUTE, []) if g.strip()})
        )

    def identity(
        self, *, name_id: str, attributes: dict[str, list[str]], session_index: str = ""
    ) -> Identity:
        attributes = self.clean_attributes(attributes)
        username = self.username(name_id, attributes)
        self.check_username(username)
        return Identity(name_id, username, self.groups(attributes), attributes, session_index or "")

    def check_username(self, username: str) -> None:
        try:
            if not username or len(username) > 150:
                raise ValidationError("empty or longer than 150 characters")
            UnicodeUsernameValidator()(username)
        except ValidationError:
            raise SamlRefused("username", f"{username[:60]!r} cannot be a username") from None

    def is_authorized(self, identity: Identity, user: Any) -> bool:
        """May this person sign in? ``user`` is None for a first sign-in.

        An assertion never takes over a local account (one with a usable
        password, such as the break-glass admin): an IdP asserting ``admin``
        must not become the local superuser. Accounts without a password were
        made by an identity source (SAML or the directory, often the same
        company identity behind ADFS or Entra) and may sign in either way,
        the directory's rule being the same.
        """
        if user is None:
            return True
        return user.is_active and not is_local_account(user)

    def session_attributes(self, identity: Identity) -> dict[str, str]:
        """Single strings for session tags: multi-valued attributes joined with ``:``; groups left out."""
        joined = {
            name: ":".join(values)
            for name, values in identity.attributes.items()
            if name != settings.SAML_GROUPS_ATTRIBUTE and values
        }
        return {name: value for name, value in joined.items() if len(value) <= MAX_ATTRIBUTE_CHARS}

    def update_user(self, user: Any, identity: Identity) -> Any:
        """Mirror the groups (removals too) and keep the attributes for session tags."""
        return mirror_sign_in(
            user, source="saml", groups=identity.groups, attributes=self.session_attributes(identity)
        )

    @transaction.atomic
    def user_for(self, identity: Identity) -> Any:
        users = get_user_model()
        user = users.objects.filter(username=identity.username).first()
        if not self.is_authorized(identity, user):
            raise SamlRefused("authorized", "this account may not sign in", actor=identity.username)
        if user is None:
            user = users.objects.create_user(identity.username)  # no usable password
        return self.update_user(user, identity)


def mapper() -> UserMapper:
    return import_string(settings.SAML_USER_MAPPER)()
