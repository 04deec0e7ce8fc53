"""Calls to the broker's REST API as the signed-in person.

A 401 means the access token was refused (expired early, or the sign-in
was ended): the token is refreshed once and the call retried; a second 401
means the sign-in is over.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from awsbroker import http, oauth
from awsbroker.errors import CliError, NotSignedIn


def call(url: str, method: str, path: str, body: Any = None) -> Any:
    answer = http.request(method, url + path, body=body, token=oauth.access_token(url))
    if answer.status == 401:
        answer = http.request(
            method, url + path, body=body, token=oauth.access_token(url, force_refresh=True)
        )
        if answer.status == 401:
            raise NotSignedIn(f"the broker ended your sign-in ({answer.detail})")
    if answer.status >= 400:
        raise CliError(f"{answer.detail or 'the broker refused the request'} ({answer.status})")
    return answer.body


def role_path(role: str) -> str:
    return quote(role, safe="")
