"""A logging filter that keeps credentials out of every log line.

Libraries log request URLs and bodies at DEBUG (urllib3, botocore). A
console sign-in URL, a session token or a secret key in a log is a live
credential, so every handler runs this filter rather than trusting each
call site to be careful.
"""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    # Query or form parameters that carry a credential.
    re.compile(r"(?i)((?:SigninToken|Session|SessionToken|SAMLResponse|sessionKey|sessionToken)=)[^&\s\"']+"),
    # JSON members that carry a credential.
    re.compile(
        r"(?i)(\"(?:SecretAccessKey|SessionToken|Token|sessionKey|sessionToken|SigninToken)\"\s*:\s*\")[^\"]+"
    ),
    # XML elements in STS answers that botocore logs at DEBUG.
    re.compile(r"(<(?:SecretAccessKey|SessionToken)>)[^<]+"),
    # An AWS secret key or session token printed bare: long base64-like runs.
    re.compile(r"()(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40,}(?![A-Za-z0-9/+=])"),
]
REDACTED = "[redacted]"


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Rewrite the formatted message in place; never drop the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
