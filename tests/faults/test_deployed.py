"""Faults only a real deployment shows, against gunicorn with debug off (``stack.py``).

Order matters: the last test stops this module's STS for good.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter

from tests.apifixtures import wait_until
from tests.faults.stack import Answer, Deployed

CREDENTIALS = "/api/v1/roles/prod-developer/credentials"
COLD = "/api/v1/roles/prod-s3-reader/credentials"
TWO_HOURS = {"role": "prod-developer", "duration_seconds": 7200}  # longer than the 1 h fallback
DELIVERED = "SELECT count(*) FROM broker_auditevent WHERE action = 'credentials.delivered'"
CLIENTS = 4
REQUESTS_EACH = 30


def test_a_worker_killed_under_load_loses_no_audit_row_and_is_replaced(deployed: Deployed):
    warm = deployed.get(CREDENTIALS, token=deployed.token)
    assert warm.status == 200
    before = deployed.count(DELIVERED)
    victim = deployed.workers()[0]
    answers: list[Answer] = []

    def client() -> None:
        for _ in range(REQUESTS_EACH):
            answers.append(deployed.get(CREDENTIALS, token=deployed.token))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(answers) >= 10, seconds=60)
    os.kill(victim, signal.SIGKILL)
    for thread in threads:
        thread.join(120)

    statuses = Counter(answer.status for answer in answers)
    assert set(statuses) <= {200, 0}, statuses  # 0: a connection the dead worker dropped; never a 5xx
    assert statuses[0] <= CLIENTS  # only what the dead worker had accepted: one per client at most
    assert {a.body["AccessKeyId"] for a in answers if a.status == 200} == {warm.body["AccessKeyId"]}
    written = deployed.count(DELIVERED) - before
    assert statuses[200] <= written <= statuses[200] + statuses[0]  # every answer has its audit row
    wait_until(lambda: len(deployed.workers()) == 2 and victim not in deployed.workers(), seconds=60)
    assert deployed.get(CREDENTIALS, token=deployed.token).status == 200


def test_a_broker_restarted_during_an_sts_outage_serves_cached_sessions(deployed: Deployed):
    warm = deployed.get(CREDENTIALS, token=deployed.token)
    long = deployed.post("/api/v1/sessions/", TWO_HOURS, token=deployed.token)
    assert (warm.status, long.status) == (200, 201)

    deployed.stop_web()
    deployed.stop_sts()
    deployed.start_web()  # every process new, STS unreachable from their first moment
    time.sleep(0.5)

    again = deployed.get(CREDENTIALS, token=deployed.token)
    long_again = deployed.post("/api/v1/sessions/", TWO_HOURS, token=deployed.token)
    cold = deployed.get(COLD, token=deployed.token)

    assert again.status == 200, again.body
    assert again.body["AccessKeyId"] == warm.body["AccessKeyId"]
    assert long_again.status == 201, long_again.body
    assert long_again.body["AccessKeyId"] == long.body["AccessKeyId"]
    assert cold.status == 503 and cold.body["error"] == "sts_unavailable"
    assert int(cold.headers["Retry-After"]) > 0
    assert "role chaining taken from an earlier answer" in deployed.log()
