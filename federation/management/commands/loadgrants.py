"""``manage.py loadgrants FILE [--prune]``: apply a grants file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from broker import audit
from federation.grantsfile import GrantsFileError, load


class Command(BaseCommand):
    help = "Load accounts, roles and group grants from a YAML or JSON file (an upsert)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path to the grants file, or - for standard input")
        parser.add_argument("--prune", action="store_true", help="delete what the file no longer lists")

    def handle(self, *args: Any, file: str, prune: bool, **options: Any) -> None:
        try:
            text = self.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        try:
            summary = load(text, prune=prune)
        except GrantsFileError as exc:
            raise CommandError(f"{file}: {exc}; nothing was changed") from None
        audit.record("grants.loaded", actor="loadgrants", file=str(file), prune=prune, summary=str(summary))
        self.stdout.write(f"{file}: {summary}")
