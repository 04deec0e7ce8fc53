"""django-oauth-toolkit's request validator with the broker's rules on top.

The library checks the protocol (PKCE, redirect URIs, code and token
expiry, refresh rotation and reuse). What it cannot know, this adds:

- One client: only ``awsbroker-cli`` is served, and it may use the
  authorization-code, device-code and refresh grants (the library allows one
  grant type per application).
- Every token exchange belongs to a ``CliSession`` approved by a person:
  a code or device code whose approval has no session, or whose session was
  already used (a second exchange of one device code), is ``invalid_grant``.
- A refresh works only while the session is live: not revoked, its user
  active, and before the end of the work day it began.
- A replayed refresh token (the library then revokes the token family) ends
  the session too, and the trail says why.
- Revoking a token (the CLI's ``logout``) ends the whole session.
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.models import get_device_grant_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors

from broker.cliauth import client, config, sessions

# RFC 8628 section 3.5 statuses, as oauthlib's DeviceCodeGrant names them.
AUTHORIZED = "authorized"
PENDING = "authorization_pending"
EXPIRED = "expired_token"
DENIED = "access_denied"


class CliValidator(OAuth2Validator):
    def _load_application(self, client_id: str, request: Any) -> Any:
        if client_id == config.CLIENT_ID:
            client.registered()
        return super()._load_application(client_id, request)

    def validate_client_id(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> bool:
        return client_id == config.CLIENT_ID and super().validate_client_id(
            client_id, request, *args, **kwargs
        )

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        return request.client.client_id == config.CLIENT_ID and grant_type in config.GRANT_TYPES

    def _create_authorization_code(self, request: Any, code: dict, expires: Any = None) -> Any:
        grant = super()._create_authorization_code(request, code, expires)
        sessions.start(user=request.user, flow=sessions.CliSession.BROWSER, grant=grant)
        return grant

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        session = sessions.awaiting(grant__code=code, grant__application=client)
        request.cli_session = session
        return session is not None

    def validate_device_code(
        self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any
    ) -> str | None:
        model = get_device_grant_model()
        device = model.objects.filter(device_code=code, client_id=client_id).select_related("user").first()
        if device is None:
            return None
        if device.status == model.DENIED:
            return DENIED
        if device.is_expired():
            return EXPIRED
        if device.status == model.AUTHORIZATION_PENDING:
            return PENDING
        session = sessions.awaiting(device_grant=device)
        if device.status != model.AUTHORIZED or session is None:
            return None
        request.user = device.user
        request.scopes = device.scope.split() or [config.SCOPE]
        request.cli_session = session
        return AUTHORIZED

    def _save_bearer_token(self, token: dict, request: Any, *args: Any, **kwargs: Any) -> Any:
        """Claim the session before the first tokens of a sign-in are stored: one exchange per approval."""
        session = getattr(request, "cli_session", None)
        if request.grant_type != "refresh_token" and (session is None or not sessions.claim(session)):
            raise errors.InvalidGrantError(description="this approval was already used", request=request)
        return super()._save_bearer_token(token, request, *args, **kwargs)

    def _create_refresh_token(
        self, request: Any, refresh_token_code: str, access_token: Any, previous_refresh_token: Any
    ) -> Any:
        refresh = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous_refresh_token
        )
        if previous_refresh_token is None:
            refresh.token_family = request.cli_session.token_family
            refresh.save(update_fields=["token_family"])
        return refresh

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            sessions.note_refused_refresh(refresh_token)
            return False
        session = sessions.for_family(request.refresh_token_instance.token_family)
        if session is None or not session.live():
            return False
        request.cli_session = session
        return True

    def revoke_token(
        self, token: str, token_type_hint: str | None, request: Any, *args: Any, **kwargs: Any
    ) -> None:
        session = sessions.for_token(token) if getattr(request.client, "pk", None) else None
        super().revoke_token(token, token_type_hint, request, *args, **kwargs)
        if session is not None:
            sessions.end(session, actor=session.user.get_username(), reason="signed out")
