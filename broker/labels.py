"""Words for the values the audit trail and the ledger store as code names.

The trail keeps the stable code (``ModelBackend``, ``totp``, ``assume_role``)
so exports and queries do not change; people reading the admin or the portal
see these words instead.
"""

from __future__ import annotations

METHODS = {
    # How someone signed in (the authentication backend's class name).
    "DirectoryBackend": "Directory password",
    "ModelBackend": "Local password",
    "SamlBackend": "Single sign-on (SAML)",
    "OidcBackend": "Single sign-on (OIDC)",
    "totp": "Authenticator code",
    # How AWS credentials were obtained.
    "assume_role": "IAM role",
    "federation_token": "Federated user",
    "saml": "IAM role via SSO",
    "web_identity": "IAM role via your identity provider",
}


def method_words(code: str) -> str:
    """The words for a stored method code; an unknown code is shown as it is, never hidden."""
    if not code:
        return "—"
    return METHODS.get(code, code.replace("_", " "))
