"""``manage.py exportgrants``: print the grants file that ``loadgrants`` reads back."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from federation.grantsfile import dump, export


class Command(BaseCommand):
    help = "Print accounts, roles and grants as a grants file (YAML, or JSON with --format json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")

    def handle(self, *args: Any, format: str, **options: Any) -> None:
        data = export()
        self.stdout.write(json.dumps(data, indent=2) if format == "json" else dump(data), ending="")
        if format == "json":
            self.stdout.write("")
