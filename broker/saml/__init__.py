"""SAML 2.0 single sign-on: the broker as a python3-saml service provider.

python3-saml checks signatures, timestamps, the Issuer and the assertion
count; the modules here add what it does not do alone and keep each step
small enough to read:

- ``config``: python3-saml settings from ``SAML_*`` and the IdP's metadata.
- ``checks``: the broker's own checks (size, DOCTYPE, algorithms and
  transforms, exact Destination/Recipient/Audience, solicitation).
- ``store``: Redis records: the request each browser made (keyed by
  RelayState), assertion IDs already used, the hand-off to the same-site hop.
- ``response``: one SAMLResponse through every check, ending in an ``Identity``.
- ``mapping``: from an ``Identity`` to a Django user (overridable hooks).
- ``views``: the URLs.

Names: ``relay`` is the RelayState value we issued, ``flow`` the server-side
record of one SP-initiated request, ``identity`` what a valid assertion said.
"""
