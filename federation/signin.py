"""Console sign-in: trade session credentials for a one-time login URL.

Two steps at the partition's federation endpoint: ``getSigninToken`` with
the credentials, then a ``login`` URL carrying the token. The login URL is
a bearer secret for 15 minutes, so nothing here logs a URL or a token, and
the HTTP call uses the standard library (urllib3 logs request URLs at DEBUG).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from federation.partitions import Partition
from federation.sts import Credentials

log = logging.getLogger(__name__)

LOGIN_URL_LIFETIME = timedelta(minutes=15)
SIGNIN_TIMEOUT_SECONDS = 10


class SigninError(Exception):
    """The federation endpoint could not issue a sign-in token (503)."""

    status = 503
    code = "signin_unavailable"


class DestinationNotAllowed(ValueError):
    """The requested console page is not on the allow-list (400)."""


@dataclass(frozen=True)
class ConsoleLink:
    url: str
    expires_at: datetime
    session_expires_at: datetime


def federation_endpoint(partition: Partition) -> str:
    return settings.BROKER_SIGNIN_URL or partition.signin_url


def allowed_destinations(partition: Partition) -> list[str]:
    return settings.BROKER_CONSOLE_DESTINATIONS or [partition.console_url]


def _within(destination: urllib.parse.SplitResult, prefix: str) -> bool:
    allowed = urllib.parse.urlsplit(prefix)
    path = allowed.path if allowed.path.endswith("/") else allowed.path + "/"
    return (
        destination.scheme == allowed.scheme
        and destination.netloc.lower() == allowed.netloc.lower()
        and (destination.path + "/").startswith(path)
    )


def check_destination(destination: str | None, partition: Partition) -> str:
    """The console page to open: the partition's console, or an allow-listed page."""
    prefixes = allowed_destinations(partition)
    if not destination:
        return prefixes[0]
    if any(ord(char) < 0x21 or char == "\\" for char in destination) or len(destination) > 2048:
        raise DestinationNotAllowed("the destination contains characters a console URL never has")
    parts = urllib.parse.urlsplit(destination)
    if parts.username or parts.password or not any(_within(parts, prefix) for prefix in prefixes):
        raise DestinationNotAllowed(f"the destination must start with one of: {', '.join(prefixes)}")
    return destination


def session_duration_allowed(credentials: Credentials, *, chained: bool) -> bool:
    """AWS accepts ``SessionDuration`` only for role sessions not made by chaining (saml ones never are)."""
    return credentials.method in ("assume_role", "saml") and not chained


def get_signin_token(credentials: Credentials, *, partition: Partition, session_duration: int | None) -> str:
    query = {
        "Action": "getSigninToken",
        "Session": json.dumps(
            {
                "sessionId": credentials.access_key_id,
                "sessionKey": credentials.secret_access_key,
                "sessionToken": credentials.session_token,
            }
        ),
    }
    if session_duration:
        query["SessionDuration"] = str(session_duration)
    url = federation_endpoint(partition) + "?" + urllib.parse.urlencode(query)
    try:
        with urllib.request.urlopen(url, timeout=SIGNIN_TIMEOUT_SECONDS) as answer:  # noqa: S310
            token = json.loads(answer.read())["SigninToken"]
    except urllib.error.HTTPError as exc:
        log.warning("sign-in endpoint refused getSigninToken: HTTP %s", exc.code)
        raise SigninError(f"the AWS sign-in endpoint refused the session (HTTP {exc.code})") from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError, KeyError) as exc:
        log.warning("sign-in endpoint unusable: %s", type(exc).__name__)
        raise SigninError("the AWS sign-in endpoint could not be reached; try again shortly") from None
    if not isinstance(token, str) or not token:
        raise SigninError("the AWS sign-in endpoint answered without a token")
    return token


def login_url(
    credentials: Credentials,
    *,
    partition: Partition,
    destination: str,
    session_duration: int | None,
) -> ConsoleLink:
    token = get_signin_token(credentials, partition=partition, session_duration=session_duration)
    query = urllib.parse.urlencode(
        {
            "Action": "login",
            "Issuer": settings.BROKER_BASE_URL + "/",
            "Destination": destination,
            "SigninToken": token,
        }
    )
    return ConsoleLink(
        url=f"{federation_endpoint(partition)}?{query}",
        expires_at=timezone.now() + LOGIN_URL_LIFETIME,
        session_expires_at=credentials.expiration,
    )
