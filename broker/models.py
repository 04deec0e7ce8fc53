"""The audit trail: one append-only row per security-relevant event.

Rows name the actor, the source address and what happened, never a secret:
an AccessKeyId identifies a credential without granting anything.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        SIGNIN = "signin", "Sign-in"
        SIGNIN_FAILED = "signin.failed", "Sign-in failed"
        SIGNOUT = "signout", "Sign-out"
        CREDENTIALS = "credentials.issued", "Credentials issued"
        CONSOLE = "console.url", "Console sign-in URL"
        REFUSED = "access.refused", "Access refused"
        GRANT_CHANGED = "grant.changed", "Grant changed"
        GRANTS_LOADED = "grants.loaded", "Grants file loaded"
        DELIVERED = "credentials.delivered", "Credentials delivered (API)"
        API_REFUSED = "api.refused", "API token refused"
        TOKEN_CREATED = "apitoken.created", "API token created"
        TOKEN_REVOKED = "apitoken.revoked", "API token revoked"
        SAML_REFUSED = "saml.refused", "SAML response refused"
        OIDC_REFUSED = "oidc.refused", "OpenID Connect sign-in refused"
        CLIENT_CHANGED = "apiclient.changed", "API client changed"
        ROLE_SESSIONS_REVOKED = "role.revoked", "Role sessions revoked (AWSRevokeOlderSessions)"
        SOURCE_IDENTITY_DENIED = "role.denied_user", "User denied on a role (aws:SourceIdentity)"
        CACHE_PURGED = "cache.purged", "Cached sessions purged"
        USER_DEACTIVATED = "user.deactivated", "User deactivated (kill switch)"
        SESSIONS_ENDED = "user.signed_out", "Portal sessions ended"
        AUDIT_EXPORTED = "audit.exported", "Audit trail exported"
        CLI_APPROVED = "cli.approved", "CLI sign-in approved"
        CLI_DENIED = "cli.denied", "CLI sign-in denied"
        CLI_ENDED = "cli.ended", "CLI session ended"
        CLI_USER_CODE_REFUSED = "cli.user_code_refused", "CLI device code refused"
        MFA_VERIFIED = "mfa.verified", "Second factor verified"
        MFA_FAILED = "mfa.failed", "Second factor refused"
        MFA_REMOVED = "mfa.removed", "Authenticator removed"
        CONSOLE_SAML = "console.saml", "Console SAML assertion signed (keyless)"
        SAML_PROVIDER = "saml_provider.updated", "AWS SAML provider created or updated"
        MFA_ENROLLED = "mfa.enrolled", "Second factor enrolled"
        RECOVERY_USED = "mfa.recovery_used", "Recovery code used"
        RECOVERY_ISSUED = "mfa.recovery_issued", "Recovery codes issued"
        MFA_RESET = "mfa.reset", "Second factors reset by an admin"
        SAML_LOGOUT = "saml.logout", "SAML single logout"
        # Just-in-time elevation (federation/elevation): one per change of a request's state.
        ELEVATION_REQUESTED = "elevation.requested", "Elevation requested"
        ELEVATION_APPROVED = "elevation.approved", "Elevation approved"
        ELEVATION_DENIED = "elevation.denied", "Elevation denied"
        ELEVATION_CANCELLED = "elevation.cancelled", "Elevation cancelled"
        ELEVATION_REVOKED = "elevation.revoked", "Elevation revoked"
        ELEVATION_EXPIRED = "elevation.expired", "Elevation expired"
        ELEVATION_REFUSED = "elevation.refused", "Elevation action refused"
        ELEVATION_AWS_DENY = "elevation.aws_deny", "Elevation ended early: its sessions denied in AWS"
        ELEVATION_AWS_DENY_REMOVED = "elevation.aws_deny_removed", "Elevation's AWS deny removed"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    actor = models.CharField(max_length=255, blank=True, db_index=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    role_alias = models.CharField(max_length=64, blank=True, db_index=True)
    method = models.CharField(max_length=40, blank=True)
    access_key_id = models.CharField(max_length=128, blank=True, db_index=True)
    outcome = models.CharField(max_length=20, default="ok")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.actor}"


class DirectoryProfile(models.Model):
    """What the identity source said about a user at the last sign-in or re-check.

    ``attributes`` feed AWS session tags; ``groups_checked_at`` tells the
    access decision when the group membership must be asked for again.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="directory")
    source = models.CharField(max_length=20, help_text="ldap, saml or local")
    attributes = models.JSONField(default=dict, blank=True)
    groups_checked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.source})"


# API clients and tokens live in their own package (broker/apitokens/); imported here so Django finds them.
from broker.apitokens.models import ApiClient, ApiToken  # noqa: E402,F401
from broker.cliauth.models import CliSession  # noqa: E402,F401
from broker.identities import ExternalIdentity  # noqa: E402,F401
