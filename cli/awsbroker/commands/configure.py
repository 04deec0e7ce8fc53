"""``awsbroker configure [--prefix P]``: one ``~/.aws/config`` profile per role.

Each profile is ``[profile <P><alias>]`` with ``credential_process`` running
this CLI, so the AWS CLI, SDKs and Terraform work with ``--profile``.
Profiles with the prefix that no longer match a role are removed; every
other line of the file is kept as it was. The file is written whole, 0600.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from awsbroker import api, files, paths, settings

MARK = "# managed by awsbroker configure"


def add_parser(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "configure",
        help="write an AWS profile per role (credential_process)",
        description="Write [profile <prefix><alias>] for each of your roles into the AWS config file.",
    )
    command.add_argument("--prefix", default="broker-", help="profile name prefix (default: broker-)")
    command.set_defaults(run=run)


def executable() -> str:
    """How the AWS CLI should start this program, quoted if its path has spaces (Windows)."""
    found = shutil.which("awsbroker")
    command = [found] if found else [sys.executable, "-m", "awsbroker"]
    return " ".join(f'"{part}"' if " " in part else part for part in command)


def profile(name: str, alias: str, program: str) -> list[str]:
    return [f"[profile {name}]", MARK, f"credential_process = {program} credentials {alias}", ""]


def sections(text: str) -> list[tuple[str, list[str]]]:
    """The file as (header, lines) pairs; the lines before the first header have header ''."""
    found: list[tuple[str, list[str]]] = [("", [])]
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            found.append((stripped[1:-1].strip(), [line]))
        else:
            found[-1][1].append(line)
    return found


def merge(text: str, prefix: str, aliases: list[str], program: str) -> str:
    kept = [
        lines
        for header, lines in sections(text)
        if not (
            header.startswith(f"profile {prefix}")
            and (MARK in lines or header[8:] in _names(prefix, aliases))
        )
    ]
    out = [line for lines in kept for line in lines]
    while out and not out[-1].strip():
        out.pop()
    if out:
        out.append("")
    for alias in aliases:
        out += profile(prefix + alias, alias, program)
    return "\n".join(out).rstrip("\n") + "\n"


def _names(prefix: str, aliases: list[str]) -> set[str]:
    return {prefix + alias for alias in aliases}


def run(args: argparse.Namespace) -> int:
    url = settings.broker_url()
    aliases = sorted(str(role["alias"]) for role in api.call(url, "GET", "/api/v1/roles/"))
    target = paths.aws_config_file()
    current = target.read_text(encoding="utf-8") if target.exists() else ""
    files.write_private(target, merge(current, args.prefix, aliases, executable()))
    for alias in aliases:
        print(f"{args.prefix}{alias}")
    where = os.path.relpath(target) if not target.is_absolute() else target
    print(
        f"Wrote {len(aliases)} profile(s) to {where}; use e.g. aws --profile {args.prefix}ROLE",
        file=sys.stderr,
    )
    return 0
