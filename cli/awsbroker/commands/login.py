"""``awsbroker login [--url URL] [--device]``: sign the terminal in, then say who you are."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from awsbroker import creds, login_browser, login_device, oauth, settings, store


def add_parser(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "login",
        help="sign in through the browser (or with a code: --device)",
        description="Sign in through the broker's portal in your browser. --url is remembered for next time.",
    )
    command.add_argument("--url", help="the broker, e.g. https://broker.example.com (remembered)")
    command.add_argument(
        "--device", action="store_true", help="print a code to enter on another device (SSH, no browser)"
    )
    command.set_defaults(run=run)


def until(entry: dict) -> str:
    """When the sign-in ends, in local time ("" if the broker did not say)."""
    try:
        ends = datetime.fromisoformat(str(entry["session_expires_at"]))
    except (KeyError, ValueError):
        return ""
    return " until " + ends.astimezone().strftime("%Y-%m-%d %H:%M %Z")


def run(args: argparse.Namespace) -> int:
    url = settings.broker_url(args.url)
    metadata = oauth.discover(url)
    entry = (login_device if args.device else login_browser).login(url, metadata)
    if args.url:
        settings.remember(url)
    creds.forget(url)  # sessions cached for whoever was signed in before
    print(f"Signed in to {url} as {entry.get('username') or 'you'}{until(entry)}.", file=sys.stderr)
    print(f"The sign-in is kept in {store.where()}.", file=sys.stderr)
    return 0
