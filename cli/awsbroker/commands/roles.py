"""``awsbroker roles``: the roles you may use, by account."""

from __future__ import annotations

import argparse

from awsbroker import api, settings


def add_parser(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("roles", help="list the roles you may use", description="List your roles.")
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    url = settings.broker_url()
    roles = api.call(url, "GET", "/api/v1/roles/")
    rows = [("ROLE", "ACCOUNT", "METHOD", "MAX SESSION")]
    rows += [
        (
            str(role["alias"]),
            f"{role.get('account_name', '')} ({role.get('account_id', '')})",
            str(role.get("method", "")),
            f"{role.get('max_session_seconds', '')} s",
        )
        for role in roles
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    if not roles:
        print("(no roles: ask for a grant)")
    return 0
