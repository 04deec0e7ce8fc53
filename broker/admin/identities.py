"""The OIDC identities linked to a user, as an inline on the user's admin page.

An OIDC sign-in never takes over an existing account by name: an admin links
the provider's ``(issuer, subject)`` to the account here. The user page itself
belongs to ``federation.admin.users``, which shows this inline.
"""

from __future__ import annotations

from django.contrib import admin

from broker.models import ExternalIdentity


class ExternalIdentityInline(admin.TabularInline):
    """On a user: the OIDC accounts linked to them. Adding one lets that person sign in here."""

    model = ExternalIdentity

    extra = 0
    fields = ["issuer", "subject", "created_at"]
    readonly_fields = ["created_at"]
