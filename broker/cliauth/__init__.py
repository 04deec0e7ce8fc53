"""The CLI's sign-in door: an OAuth 2.0 authorization server for ``awsbroker``.

django-oauth-toolkit's models and views run the protocol as they are,
configured in ``config``; this package is the policy around them, laid out
like ``broker.saml``:

- ``config``: the library's settings (PKCE S256 required, short access
  tokens, rotating refresh tokens with reuse detection, hashed storage) and
  the one public client the CLI uses.
- ``models``: ``CliSession``, one per sign-in: who approved it, whether that
  browser session had shown a second factor, when it must end.
- ``validator``: the library's validator with the broker's rules (one client,
  both grants, sessions that end at the end of the work day or when revoked).
- ``devicecodes``: user-code entry, bound to the first person who enters a
  code and limited per person.
- ``sessions``: start, find and revoke CLI sessions (sign-out, the tokens
  page, the kill switch), each audited.
- ``tokens``: the REST API's view of an access token: the person, their
  groups now, their MFA state at sign-in.
- ``views``, ``urls``, ``checks``: thin subclasses of the library's views, the
  routes, and a start-up check on the settings the rules depend on.
- ``client``: the one public client, registered by a migration.
- ``download``: the CLI's source archive, served for ``pip install``.
"""
