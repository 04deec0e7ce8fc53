"""A logging filter that keeps credentials out of every log line.

Libraries log request URLs and bodies at DEBUG (urllib3, botocore). A
console sign-in URL, a session token or a secret key in a log is a live
credential, so every handler runs this filter rather than trusting each
call site to be careful.
"""

from __future__ import annotations

import logging
import re

_CREDENTIAL_NAMES = (
    "SecretAccessKey|SessionToken|Token|sessionKey|sessionToken|SigninToken|SAMLResponse|SAMLAssertion|"
    "aws_secret_access_key|aws_session_token|password|"
    # OpenID Connect: tokens, the client secret and the PKCE verifier (botocore logs WebIdentityToken).
    "id_token|access_token|refresh_token|client_secret|code_verifier|WebIdentityToken"
)
_PATTERNS = [
    # Query or form parameters that carry a credential.
    re.compile(
        r"(?i)((?:SigninToken|Session|SessionToken|SAMLResponse|SAMLAssertion|sessionKey|sessionToken|"
        r"SecretAccessKey|password|otp_token|WebIdentityToken|id_token|id_token_hint|access_token|"
        r"refresh_token|client_secret|code_verifier)=)[^&\s\"']+"
    ),
    # JSON members and Python dict items (botocore logs parsed answers) that carry a credential.
    re.compile(rf"(?i)([\"'](?:{_CREDENTIAL_NAMES})[\"']\s*:\s*b?[\"'])[^\"']+"),
    # XML elements in STS answers that botocore logs at DEBUG.
    re.compile(r"(<(?:SecretAccessKey|SessionToken)>)[^<]+"),
    # Request headers botocore logs at DEBUG: the session token, and the signature (replayable for minutes).
    re.compile(r"(?i)(X-Amz-Security-Token[\"']?\s*[:=]\s*b?[\"']?)[^\"'\s,}]+"),
    re.compile(r"(Signature=)[0-9a-f]{64}"),
    # A JWT (an OIDC ID or access token) printed bare: header and claims are base64url JSON.
    re.compile(r"()eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),
    # The broker's API tokens: keep the public lookup part, drop the secret.
    re.compile(r"(brk_[0-9a-f]{12}_)[A-Za-z0-9_-]+"),
    # The CLI's OAuth tokens (access brka_, refresh brkr_), its codes and PKCE verifier in requests.
    re.compile(r"(brk[ar]_)[A-Za-z0-9_-]+"),
    re.compile(r"(?i)(\b(?:code|code_verifier|device_code|refresh_token|access_token|token)=)[^&\s\"']+"),
    re.compile(
        r"(?i)([\"'](?:access_token|refresh_token|device_code|code_verifier)[\"']\s*:\s*[\"'])[^\"']+"
    ),
    # A SAML message, base64 or decoded, wherever it appears.
    re.compile(
        r"(?s)(<(?:saml2?p?:)?(?:Response|Assertion)\b)[^>]*>.*?</(?:saml2?p?:)?(?:Response|Assertion)>"
    ),
    # An AWS secret key or session token printed bare: long base64-like runs that mix digits,
    # capitals and small letters (a file path such as site-packages/django/db/... does not).
    re.compile(
        r"()(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+=]*[0-9])(?=[A-Za-z0-9/+=]*[A-Z])(?=[A-Za-z0-9/+=]*[a-z])"
        r"[A-Za-z0-9/+=]{40,}(?![A-Za-z0-9/+=])"
    ),
]
REDACTED = "[redacted]"


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Rewrite the formatted message, traceback and stack in place; never drop the record.

    A traceback can quote a credential (an exception's message); it is
    formatted here, redacted and left in ``exc_text``, which formatters use
    instead of formatting ``exc_info`` again.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
