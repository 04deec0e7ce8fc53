"""A second factor (TOTP, django-otp) for password sign-ins.

- ``policy``: who must show a code, and what this session has shown;
- ``middleware``: marks ``request.user.mfa_factor`` and sends password users
  who must verify (or enrol) there before any other page;
- ``views``: the verify step, enrolment with a QR code, the "role needs MFA" page;
- ``admin_site``: the Django admin, open to staff only once they verified.

Naming: a *device* is a confirmed ``TOTPDevice``; a *pending* device is one
being enrolled (unconfirmed, never accepted for sign-in).
"""
