"""Second factors for password sign-ins, and step-up for sensitive actions (django-otp).

- ``policy``: the kinds of factor (passkey, TOTP, recovery code, the IdP's MFA), who must show
  one, what this session has shown, and which kinds meet a requirement;
- ``middleware``: marks ``request.user.mfa_factor`` and sends password users who must verify
  (or enrol) there before any other page;
- ``views``: the verify step, enrolment (passkey or QR code), the MFA page, recovery codes, the
  "role needs MFA" page;
- ``passkeys``: WebAuthn on django-otp-webauthn, relying party from ``BROKER_BASE_URL``;
- ``own_passkeys``: the list of a person's passkeys, and removing one (not staff's last);
- ``recovery`` and ``models``: ten single-use recovery codes, stored as keyed hashes;
- ``stepup``: ``step_up_required``, a recent factor for revocation, grants, approvals;
- ``reset``: an admin removes a person's factors, audited;
- ``admin_site``: the Django admin, open to staff only once they verified.

Naming: a *device* is a confirmed django-otp device (a ``TOTPDevice``, a
``WebAuthnCredential`` or the ``RecoveryCodes`` set); a *pending* device is a
TOTP device being enrolled (unconfirmed, never accepted for sign-in).
"""
