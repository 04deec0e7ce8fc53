"""``manage.py createapiclient NAME --role ALIAS [...]``: an application identity and its token.

Creates the client, grants each role to the client's group (so the one
access decision answers for it), mints a token and prints it once, as the
last line, so scripts can take it with ``tail -n1``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from broker.apitokens import tokens
from broker.apitokens.models import ApiClient
from federation.models import Grant, Role


class Command(BaseCommand):
    help = "Create an API client allowed to use the given roles, and print its token once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="short name, e.g. billing-exporter")
        parser.add_argument("--role", action="append", required=True, dest="roles", metavar="ALIAS")
        parser.add_argument("--max-session-seconds", type=int, default=3600)
        parser.add_argument("--owner", help="username of the person answerable for the client")
        parser.add_argument("--allow-network", action="append", default=[], metavar="CIDR")

    def _roles(self, aliases: list[str]) -> list[Role]:
        found = {role.alias: role for role in Role.objects.filter(alias__in=aliases)}
        missing = sorted(set(aliases) - found.keys())
        if missing:
            raise CommandError(f"no such role: {', '.join(missing)}")
        return [found[alias] for alias in dict.fromkeys(aliases)]

    def _owner(self, username: str | None) -> Any:
        if not username:
            return None
        owner = get_user_model().objects.filter(username=username).first()
        if owner is None:
            raise CommandError(f"no such user: {username}")
        return owner

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if ApiClient.objects.filter(name=options["name"]).exists():
            raise CommandError(f"an API client named {options['name']!r} exists already")
        client = ApiClient(
            name=options["name"],
            owner=self._owner(options["owner"]),
            max_session_seconds=options["max_session_seconds"],
            allowed_networks=options["allow_network"],
        )
        try:
            client.full_clean(exclude=["group"])
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        roles = self._roles(options["roles"])
        client.save()
        for role in roles:
            Grant.objects.get_or_create(group=client.group, role=role)
        _, raw = tokens.mint(client=client, label="createapiclient")
        self.stdout.write(f"API client {client.name}: roles {', '.join(r.alias for r in roles)}")
        self.stdout.write("The token is shown once; store it as a secret:")
        self.stdout.write(raw)
