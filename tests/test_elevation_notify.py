"""Approvers and requesters are told, by email and through Apprise, with a link; failures are retried.

A local SMTP server (aiosmtpd) and a local webhook receiver (http.server,
reached through Apprise's ``json://``), both on free loopback ports, and a
real Celery worker sending what the transitions queued.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from federation.elevation import tasks
from federation.elevation.models import Notification
from tests.conftest import free_port
from tests.elevation_support import ask, latest


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:  # type: ignore[no-untyped-def]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    yield inbox
    controller.stop()


class Webhook:
    """A JSON webhook receiver; ``fail`` answers 500 that many times first."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.fail = 0


@pytest.fixture
def webhook(settings) -> Iterator[Webhook]:  # type: ignore[no-untyped-def]
    received = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if received.fail:
                received.fail -= 1
                self.send_response(500)
            else:
                received.bodies.append(json.loads(body))
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.BROKER_ELEVATION_NOTIFY_URLS = [f"json://127.0.0.1:{server.server_port}/hooks/elevation"]
    yield received
    server.shutdown()
    server.server_close()


def wait_until(condition: Any, seconds: float = 60) -> None:  # generous: a busy 2-core CI box
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the worker did not send in time"
        time.sleep(0.05)


@pytest.fixture
def approvers_with_email(dave, erin) -> None:  # type: ignore[no-untyped-def]
    for user in (dave, erin):
        user.email = f"{user.username}@example.com"
        user.save()


@pytest.mark.django_db(transaction=True)
def test_approvers_get_an_email_and_the_webhook_a_message_with_a_link(
    eligible, alice_client, approvers_with_email, smtp, webhook, celery_worker
):
    ask(alice_client)
    request = latest()

    wait_until(lambda: smtp.messages and webhook.bodies)
    [mail] = smtp.messages
    assert sorted(mail.rcpt_tos) == ["dave@example.com", "erin@example.com"]  # never the requester
    text = mail.content.decode()
    assert f"alice requests prod-readonly for 60 min (#{request.pk})" in text
    assert f"http://127.0.0.1:8000/requests/{request.pk}/" in text
    assert "INC-42" in text
    [hook] = webhook.bodies
    assert hook["title"] == f"alice requests prod-readonly for 60 min (#{request.pk})"
    assert f"/requests/{request.pk}/" in hook["message"]
    wait_until(lambda: Notification.objects.filter(sent_at__isnull=False).count() == 2)


@pytest.mark.django_db(transaction=True)
def test_a_failed_webhook_is_retried_by_the_beat_task(
    eligible, alice_client, webhook, celery_worker, move_time
):
    webhook.fail = 1
    ask(alice_client)

    wait_until(lambda: Notification.objects.filter(attempts=1).exists())
    row = Notification.objects.get()
    assert row.sent_at is None and row.target == "apprise:0" and "did not accept" in row.last_error
    assert tasks.retry_notifications() == 0  # not due yet: it backs off

    move_time(timedelta(minutes=1))
    assert tasks.retry_notifications() == 1
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 2
    assert len(webhook.bodies) == 1
    assert tasks.retry_notifications() == 0  # sent once, never again
