"""/readyz tells an operator whether the directory answers, without failing the node."""

from __future__ import annotations

import pytest
from django.test import Client

from broker import reachability

pytestmark = pytest.mark.django_db


def test_readiness_reports_the_directory(directory, slapd):
    reachability.forget()
    assert Client().get("/readyz").json()["dependencies"]["directory"] == "reachable"

    with slapd.stopped():
        reachability.forget()
        answer = Client().get("/readyz")
        assert answer.status_code == 200
        assert answer.json()["dependencies"]["directory"] == "unreachable"
    reachability.forget()
