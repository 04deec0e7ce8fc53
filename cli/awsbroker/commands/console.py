"""``awsbroker console ROLE [--print]``: open the AWS console as the role.

The sign-in URL is a credential valid for 15 minutes: it is printed only
with ``--print``, otherwise handed to the browser.
"""

from __future__ import annotations

import argparse
import sys
import webbrowser

from awsbroker import api, settings


def add_parser(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "console",
        help="open the AWS console as a role",
        description="Open the AWS console signed in as ROLE.",
    )
    command.add_argument("role", metavar="ROLE", help="the role's alias (awsbroker roles)")
    command.add_argument("--print", action="store_true", help="print the sign-in URL instead of opening it")
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    answer = api.call(settings.broker_url(), "POST", "/api/v1/console-url/", {"role": args.role})
    if args.print:
        print(answer["url"])
        return 0
    if not webbrowser.open(answer["url"]):
        print("awsbroker: no browser to open; use --print", file=sys.stderr)
        return 1
    print(f"Opened the AWS console as {args.role} (the link works for 15 minutes).", file=sys.stderr)
    return 0
