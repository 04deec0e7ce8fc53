"""``awsbroker logout``: end the sign-in on the broker too, and forget it and its cached sessions here."""

from __future__ import annotations

import argparse
import sys

from awsbroker import creds, oauth, settings, store


def add_parser(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "logout",
        help="sign out here and on the broker",
        description="Revoke the sign-in on the broker, then delete it and the cached AWS sessions here.",
    )
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    url = settings.broker_url()
    entry = store.load(url)
    creds.forget(url)
    if not entry.get("refresh_token"):
        print(f"Not signed in to {url}.", file=sys.stderr)
        return 0
    try:
        oauth.revoke(url, entry)
    finally:
        store.clear(url)
    print(f"Signed out of {url}.", file=sys.stderr)
    return 0
