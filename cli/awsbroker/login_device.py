"""Sign in with a code (RFC 8628), for SSH sessions and machines without a browser.

The terminal prints a URL and a short code; the person opens the URL on any
device, signs in there and confirms the code. This process polls the token
endpoint at the interval the broker asks, and stops when the code expires.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from awsbroker import http, oauth
from awsbroker.errors import CliError

GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def login(url: str, metadata: dict[str, Any]) -> dict[str, Any]:
    start = http.request(
        "POST",
        metadata["device_authorization_endpoint"],
        form={"client_id": oauth.CLIENT_ID, "scope": oauth.SCOPE},
    )
    if start.status != 200 or "device_code" not in start.body:
        raise CliError(f"the broker refused a device sign-in ({start.status} {start.detail})")
    body = start.body
    complete = body.get("verification_uri_complete", body["verification_uri"])
    print(
        f"To sign in, open {body['verification_uri']}\nand enter the code: {body['user_code']}\n\n"
        f"(or open {complete})\nWaiting for approval...",
        file=sys.stderr,
    )
    sys.stderr.flush()
    return _poll(url, metadata, body)


def _poll(url: str, metadata: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    interval = max(1.0, float(body.get("interval", 5)))
    deadline = time.monotonic() + float(body.get("expires_in", 600))
    while time.monotonic() < deadline:
        time.sleep(interval)
        answer = oauth.exchange(metadata, {"grant_type": GRANT, "device_code": body["device_code"]})
        if answer.status == 200:
            return oauth.remember_tokens(url, metadata, answer.body)
        if answer.error == "authorization_pending":
            continue
        if answer.error == "slow_down":
            interval += 5
            continue
        if answer.error == "access_denied":
            raise CliError("the sign-in was denied in the browser")
        if answer.error == "expired_token":
            break
        raise CliError(f"the broker refused the sign-in ({answer.status} {answer.detail})")
    raise CliError("the code expired before it was approved; run `awsbroker login --device` again")
