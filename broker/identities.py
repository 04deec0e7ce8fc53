"""Which broker account an external identity may sign in to: the rule every sign-in door shares.

An identity provider asserting a username must never take over an account
someone else made: a local account with a password (the break-glass
``admin``), and for OpenID Connect any account it did not create itself,
directory ones included. OIDC people are keyed by ``(issuer, subject)``, the
only pair a provider promises never to reassign; an admin links an existing
account by adding that pair to it (the User admin's *External identities*),
after which the person signs in to it. The SAML door keeps its documented
rule (directory accounts may use SSO too) through ``is_local_account``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class ExternalIdentity(models.Model):
    """An account at an OpenID Connect provider, linked to a broker user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    issuer = models.CharField(max_length=255, help_text="The provider's issuer URL (OIDC_ISSUER).")
    subject = models.CharField(
        max_length=255,
        help_text="The person's `sub` at that provider (shown in the `oidc.refused` audit event).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_user_per_external_identity")
        ]
        verbose_name_plural = "external identities"

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


def is_local_account(user: Any) -> bool:
    """A password account made in the broker: no identity provider may sign in to it."""
    return user.has_usable_password()


def linked_user(issuer: str, subject: str) -> Any | None:
    found = ExternalIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    return found.user if found else None


def kind_of(user: Any) -> str:
    """How an existing account came to be, for a refusal a person and an admin can act on."""
    if is_local_account(user):
        return "a local account with a password"
    source = getattr(getattr(user, "directory", None), "source", "")
    return {"ldap": "a directory account", "saml": "an account made by SAML sign-in"}.get(
        source, "an existing account"
    )
