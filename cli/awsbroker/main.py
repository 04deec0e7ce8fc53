"""``awsbroker``: one sub-command per module in ``awsbroker.commands``.

Every failure is one line on stderr (``awsbroker: ...``) and a non-zero
exit: 1 for an error, 2 for a usage error, 3 when the person must sign in
again, 130 on Ctrl-C. Never a traceback: a bug is reported the same way.
"""

from __future__ import annotations

import argparse
import sys

from awsbroker import __version__
from awsbroker.commands import COMMANDS
from awsbroker.errors import CliError


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="awsbroker",
        description="Sign this terminal in to the AWS identity broker; AWS tools then get short sessions.",
    )
    top.add_argument("--version", action="version", version=f"awsbroker {__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for module in COMMANDS:
        module.add_parser(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CliError as exc:
        return fail(str(exc), exc.code)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except Exception as exc:  # noqa: BLE001 (one line, never a traceback)
        return fail(f"unexpected error: {type(exc).__name__}: {exc}", 1)


def fail(message: str, code: int) -> int:
    print(f"awsbroker: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
