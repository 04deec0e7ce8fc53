"""The broker as a SAML 2.0 identity provider to AWS: keyless federation for ``saml`` roles.

AWS trusts the broker's signing certificate (uploaded once to IAM as a SAML
provider); the broker signs one assertion per session, and either the browser
posts it to AWS's SAML sign-in page (the console) or the broker hands it to
``AssumeRoleWithSAML``, an unsigned STS call (CLI, API, refresh). No AWS key
is involved. Modules: ``keys`` (the signing pair and published certificates),
``rules`` (what AWS would refuse, refused first), ``assertion`` (the signed
Response from a fixed template), ``metadata`` (what IAM is given), ``session``
(an assertion turned into credentials), ``console`` (the POST hop), ``checks``.
"""
