"""The OAuth 2.0 client side: discovery, the two sign-ins, refresh and revocation.

The CLI is the broker's public client ``awsbroker-cli`` (no secret). Its
endpoints come from the broker's RFC 8414 metadata. A sign-in yields a
short-lived access token and a refresh token that rotates at every refresh;
the pair is saved by ``store`` and a refresh runs under ``lock`` so that two
processes never present the same refresh token (the broker would take that
for theft and end the sign-in).
"""

from __future__ import annotations

import time
from typing import Any

from awsbroker import http, lock, store
from awsbroker.errors import CliError, NotSignedIn

CLIENT_ID = "awsbroker-cli"
SCOPE = "aws"
METADATA_PATH = "/.well-known/oauth-authorization-server"
# Refresh the access token when it has less than this left, so a call never carries a dying one.
ACCESS_MARGIN = 60


def discover(url: str) -> dict[str, Any]:
    answer = http.request("GET", url + METADATA_PATH)
    needed = (
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "device_authorization_endpoint",
    )
    if answer.status != 200 or not all(key in answer.body for key in needed):
        raise CliError(
            f"{url} does not look like an AWS identity broker (no OAuth metadata at {METADATA_PATH})"
        )
    return answer.body


def remember_tokens(url: str, metadata: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """Save what a token endpoint answered, with the endpoints later calls need."""
    entry = {
        "access_token": answer["access_token"],
        "access_expires_at": time.time() + float(answer.get("expires_in", 300)),
        "refresh_token": answer.get("refresh_token", ""),
        "token_endpoint": metadata["token_endpoint"],
        "revocation_endpoint": metadata["revocation_endpoint"],
        "username": answer.get("username", ""),
        "session_expires_at": answer.get("session_expires_at", ""),
    }
    store.save(url, entry)
    return entry


def exchange(metadata: dict[str, Any], form: dict[str, str]) -> http.HttpAnswer:
    return http.request("POST", metadata["token_endpoint"], form={"client_id": CLIENT_ID, **form})


def access_token(url: str, *, force_refresh: bool = False) -> str:
    """A usable access token for ``url``: the stored one, or a refreshed one."""
    entry = store.load(url)
    if not entry.get("refresh_token"):
        raise NotSignedIn(f"not signed in to {url}")
    if not force_refresh and entry.get("access_expires_at", 0) - time.time() > ACCESS_MARGIN:
        return str(entry["access_token"])
    stale = entry["access_token"]
    with lock.held():
        entry = store.load(url)  # another process may have refreshed while this one waited
        if not entry.get("refresh_token"):
            raise NotSignedIn(f"not signed in to {url}")
        fresh_enough = entry.get("access_expires_at", 0) - time.time() > ACCESS_MARGIN
        if fresh_enough and (not force_refresh or entry["access_token"] != stale):
            return str(entry["access_token"])
        return str(_refresh(url, entry)["access_token"])


def _refresh(url: str, entry: dict[str, Any]) -> dict[str, Any]:
    answer = exchange(entry, {"grant_type": "refresh_token", "refresh_token": entry["refresh_token"]})
    if answer.status == 200 and "access_token" in answer.body:
        return remember_tokens(url, entry, answer.body)
    if answer.status in (400, 401) and answer.error in ("invalid_grant", "invalid_client", "invalid_request"):
        store.clear(url)
        raise NotSignedIn(f"your sign-in to {url} has expired or was ended")
    raise CliError(f"the broker could not refresh the sign-in ({answer.status} {answer.detail})".rstrip())


def revoke(url: str, entry: dict[str, Any]) -> None:
    """RFC 7009: revoking the refresh token ends the whole sign-in on the broker."""
    answer = http.request(
        "POST",
        entry["revocation_endpoint"],
        form={"client_id": CLIENT_ID, "token": entry["refresh_token"], "token_type_hint": "refresh_token"},
    )
    if answer.status != 200:
        raise CliError(f"the broker did not revoke the sign-in ({answer.status} {answer.detail})".rstrip())
