"""``manage.py exportaudit [--since ISO] [--until ISO] [--action A] [--output FILE]``.

Writes the audit trail as JSON Lines (one event per line, oldest first) to
standard output or FILE, for a SIEM. Times without a zone are UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from broker import audit
from broker.auditexport import select, stream
from broker.models import AuditEvent


def _moment(text: str | None, option: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"{option} {text!r} is not an ISO 8601 date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Export the audit trail as JSON Lines (one event per line), e.g. for a SIEM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="first moment included (ISO 8601; UTC when no zone)")
        parser.add_argument("--until", help="first moment excluded (ISO 8601; UTC when no zone)")
        parser.add_argument("--action", choices=AuditEvent.Action.values, help="only this action")
        parser.add_argument("--output", help="file to write; standard output when absent")

    def handle(self, *args: Any, **options: Any) -> None:
        since, until = _moment(options["since"], "--since"), _moment(options["until"], "--until")
        events = select(since=since, until=until, action=options["action"])
        count = self._write(events, options["output"])
        audit.record(
            "audit.exported",
            actor="exportaudit",
            count=count,
            since=options["since"],
            until=options["until"],
            filter_action=options["action"],
            output=options["output"] or "stdout",
        )
        if options["output"]:
            self.stderr.write(f"{count} events written to {options['output']}")

    def _write(self, events: Any, output: str | None) -> int:
        if not output:
            return _emit(events, lambda line: self.stdout.write(line, ending=""))
        try:
            with Path(output).open("w", encoding="utf-8") as handle:
                return _emit(events, handle.write)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc}") from None


def _emit(events: Any, write: Callable[[str], Any]) -> int:
    count = 0
    for line in stream(events):
        write(line)
        count += 1
    return count
