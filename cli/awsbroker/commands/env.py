"""``awsbroker env ROLE [--shell bash|fish|powershell]``: a session as environment variables.

``eval "$(awsbroker env ROLE)"`` (bash, zsh), ``awsbroker env ROLE --shell fish | source``,
``awsbroker env ROLE --shell powershell | Invoke-Expression``.
"""

from __future__ import annotations

import argparse
import os

from awsbroker import creds, settings

NAMES = {
    "AWS_ACCESS_KEY_ID": "AccessKeyId",
    "AWS_SECRET_ACCESS_KEY": "SecretAccessKey",
    "AWS_SESSION_TOKEN": "SessionToken",
    "AWS_CREDENTIAL_EXPIRATION": "Expiration",
}
FORMATS = {
    "bash": "export {name}='{value}'",
    "fish": "set -gx {name} '{value}';",
    "powershell": "$Env:{name} = '{value}'",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "env", help="print a role's session as shell variables", description="Print export lines for ROLE."
    )
    command.add_argument("role", metavar="ROLE", help="the role's alias (awsbroker roles)")
    default = "powershell" if os.name == "nt" else "bash"
    command.add_argument("--shell", choices=sorted(FORMATS), default=default, help=f"default: {default}")
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    session = creds.session(settings.broker_url(), args.role)
    line = FORMATS[args.shell]
    for name, field in NAMES.items():
        # AWS values never hold a quote; refuse rather than print something a shell would misread.
        value = str(session[field])
        if "'" in value:
            raise ValueError(f"{field} holds a quote")
        print(line.format(name=name, value=value))
    return 0
