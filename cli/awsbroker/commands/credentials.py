"""``awsbroker credentials ROLE [--duration N]``: the ``credential_process`` JSON for a role.

Called by the AWS CLI and SDKs, so it never prompts and never waits long:
every network call has a timeout, and a sign-in that has ended is one line
on stderr (run ``awsbroker login``) with exit code 3.
"""

from __future__ import annotations

import argparse
import json

from awsbroker import creds, settings


def add_parser(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "credentials",
        help="print credential_process JSON for a role",
        description="Print an AWS session for ROLE as credential_process JSON (cached, refreshed ahead).",
    )
    command.add_argument("role", metavar="ROLE", help="the role's alias (awsbroker roles)")
    command.add_argument("--duration", type=int, metavar="N", help="session length in seconds (900 and up)")
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    session = creds.session(settings.broker_url(), args.role, args.duration)
    print(json.dumps(session))
    return 0
