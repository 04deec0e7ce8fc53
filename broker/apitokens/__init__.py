"""API clients and bearer tokens: who an application (or an employee's script) is.

``models`` holds the client and token rows, ``tokens`` mints, verifies and
revokes tokens, ``views`` lets employees manage their personal tokens and
``admin`` lets admins manage clients. The REST API itself lives in
``federation.api``; it asks ``tokens.verify`` who a request speaks for.
"""
