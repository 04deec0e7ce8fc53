"""OpenID Connect sign-in: the broker as a relying party of one provider.

Authlib builds the authorization request (PKCE S256) and talks to the token
and userinfo endpoints; joserfc (Authlib's JOSE library) verifies the ID
token's signature. What a relying party must check on top is here, one step
per module, shaped like ``broker.saml``:

- ``config``: the ``OIDC_*`` settings, checked at start-up.
- ``provider``: discovery and the JWKS, cached, with short timeouts; the keys
  are fetched again when a token names a key id not seen yet (rotation).
- ``client``: the Authlib client: authorization URL, code exchange, refresh,
  userinfo.
- ``idtoken``: the ID token's checks (algorithm allow-list, key, signature,
  iss, aud/azp, exp, iat, nonce), each refusal naming its check.
- ``flows``: the sign-ins this browser started (state, nonce, PKCE verifier),
  kept in its session and taken once.
- ``mapping``: from verified claims to a Django user (overridable hooks).
- ``tokens``: the person's ID token and refresh token, sealed in the session,
  refreshed when a web-identity role needs a live one.
- ``views``: the URLs.

Names: ``claims`` are a verified token's (or userinfo's) claims, ``flow`` the
record of one sign-in this browser started, ``identity`` what the provider
said about the person once every check passed.
"""
