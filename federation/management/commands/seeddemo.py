"""``manage.py seeddemo``: the demo grants and the break-glass admin behind ``make run``.

The demo people (alice, bob, carol) live in the demo directory
(``devtools/demo_directory.py``) and sign in through it; only ``admin`` is
a local account. Local accounts left by older demos under those names are
removed, since a local account is never taken over by a directory entry.
Demo only: the passwords are printed and well known. It refuses to run
when ``DJANGO_DEBUG`` is off, so it cannot seed a production database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from federation.grantsfile import load

DEMO_FILE = Path(settings.BASE_DIR) / "devtools" / "demo-grants.yaml"
DEMO_USERS = [
    # username, password, groups, staff
    ("admin", "admin-demo-pass", [], True),
]
DIRECTORY_USERS = ["alice", "bob", "carol"]


class Command(BaseCommand):
    help = "Load the demo grants and create the demo local accounts (DJANGO_DEBUG only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seeddemo only runs with DJANGO_DEBUG=true: it creates well-known passwords")
        self.stdout.write(f"grants: {load(DEMO_FILE.read_text(encoding='utf-8'))}")
        User = get_user_model()
        for user in User.objects.filter(username__in=DIRECTORY_USERS):
            if user.has_usable_password():
                user.delete()
                self.stdout.write(
                    f"user {user.username}: local account removed (signs in from the directory)"
                )
        for username, password, groups, staff in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = user.is_superuser = staff
            user.save()
            user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
            self.stdout.write(f"user {username} / {password} groups={','.join(groups) or '-'}")
