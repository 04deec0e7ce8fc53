"""Every attack on the CLI's sign-in is refused with a 4xx and a reason, never a 500.

Driven over HTTP against the live broker, as an attacker would: a wrong
PKCE verifier, no or a "plain" challenge, a made-up, expired or already used
device code, someone else approving a person's device code, and guessing
user codes until the limit.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.utils import timezone
from oauth2_provider.models import DeviceGrant

from broker.cliauth import devicecodes
from broker.cliauth.models import CliSession
from broker.models import AuditEvent
from tests.cli_support import browser, confirm_device, enter_user_code, form_fields
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
CLIENT = "awsbroker-cli"
DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
LOOPBACK = "http://127.0.0.1:53682/callback"


def challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorize_url(base: str, **overrides: str) -> str:
    query = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": LOOPBACK,
        "scope": "aws",
        "state": "s1",
        "code_challenge": challenge("right-verifier-" + "x" * 40),
        "code_challenge_method": "S256",
        **overrides,
    }
    return f"{base}/oauth/authorize/?{urlencode({k: v for k, v in query.items() if v is not None})}"


def allowed_code(person: requests.Session, url: str) -> str:
    """Approve on the consent page and take the code from the redirect (not followed)."""
    page = person.get(url, timeout=10)
    fields = form_fields(page.text)
    fields["allow"] = "Authorize"
    answer = person.post(page.url, data=fields, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:300]
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == LOOPBACK
    return parse_qs(location.query)["code"][0]


def token(base: str, **form: str) -> requests.Response:
    return requests.post(f"{base}/oauth/token/", data={"client_id": CLIENT, **form}, timeout=10)


def start_device(base: str) -> dict:
    answer = requests.post(f"{base}/oauth/device-authorization/", data={"client_id": CLIENT}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_wrong_pkce_verifier_gets_no_token(broker_url, alice):
    code = allowed_code(browser(broker_url, "alice", PASSWORD), authorize_url(broker_url))

    answer = token(
        broker_url, grant_type="authorization_code", code=code, redirect_uri=LOOPBACK, code_verifier="w" * 50
    )

    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert not CliSession.objects.filter(token_family__isnull=False).exists()


def test_the_right_verifier_works_once(broker_url, alice):
    code = allowed_code(browser(broker_url, "alice", PASSWORD), authorize_url(broker_url))
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": LOOPBACK}
    form["code_verifier"] = "right-verifier-" + "x" * 40

    first, second = token(broker_url, **form), token(broker_url, **form)

    assert first.status_code == 200 and first.json()["access_token"].startswith("brka_")
    assert first.json()["refresh_token"].startswith("brkr_") and first.json()["username"] == "alice"
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge": None, "code_challenge_method": None},  # PKCE is required
        {"code_challenge": "x" * 43, "code_challenge_method": "plain"},  # only S256
    ],
    ids=["no-pkce", "plain-pkce"],
)
def test_an_authorization_without_s256_pkce_is_refused(broker_url, alice, overrides):
    person = browser(broker_url, "alice", PASSWORD)

    page = person.get(authorize_url(broker_url, **overrides), allow_redirects=False, timeout=10)

    assert page.status_code == 400 and "Allow" not in page.text
    assert "S256 is required" in page.text


@pytest.mark.parametrize(
    "redirect_uri",
    ["https://evil.example.com/callback", "http://localhost:8080/callback", "http://127.0.0.1:9/other"],
)
def test_only_the_loopback_callback_is_a_redirect_target(broker_url, alice, redirect_uri):
    person = browser(broker_url, "alice", PASSWORD)

    page = person.get(authorize_url(broker_url, redirect_uri=redirect_uri), allow_redirects=False, timeout=10)

    assert page.status_code in (200, 400) and "Allow" not in page.text
    assert "evil.example.com" not in page.headers.get("Location", "")


def test_any_loopback_port_is_accepted(broker_url, alice):
    url = authorize_url(broker_url, redirect_uri="http://127.0.0.1:61234/callback")

    page = browser(broker_url, "alice", PASSWORD).get(url, timeout=10)

    assert page.status_code == 200 and "Allow" in page.text


def test_a_made_up_device_code_is_invalid_grant(broker_url):
    answer = token(broker_url, grant_type=DEVICE, device_code="made-up-" + secrets.token_urlsafe(20))

    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_a_device_poll_without_a_code_is_a_400(broker_url):
    answer = token(broker_url, grant_type=DEVICE)

    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_an_expired_device_code_is_expired_token_even_if_approved(broker_url, alice):
    started = start_device(broker_url)
    person = browser(broker_url, "alice", PASSWORD)
    confirm_device(person, enter_user_code(person, broker_url, started["user_code"]))
    DeviceGrant.objects.filter(device_code=started["device_code"]).update(
        expires=timezone.now() - timedelta(seconds=1)
    )

    answer = token(broker_url, grant_type=DEVICE, device_code=started["device_code"])

    assert answer.status_code == 400 and answer.json()["error"] == "expired_token"


def test_a_pending_device_code_waits_and_an_approved_one_works_once(broker_url, alice):
    started = start_device(broker_url)
    pending = token(broker_url, grant_type=DEVICE, device_code=started["device_code"])
    person = browser(broker_url, "alice", PASSWORD)
    confirm_device(person, enter_user_code(person, broker_url, started["user_code"]))

    first = token(broker_url, grant_type=DEVICE, device_code=started["device_code"])
    again = token(broker_url, grant_type=DEVICE, device_code=started["device_code"])

    assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"
    assert first.status_code == 200 and first.json()["username"] == "alice"
    assert again.status_code == 400 and again.json()["error"] in ("invalid_grant", "expired_token")


def test_another_person_cannot_take_over_or_approve_a_device_code(broker_url, alice, bob):
    started = start_device(broker_url)
    owner = browser(broker_url, "alice", PASSWORD)
    confirm_page = enter_user_code(owner, broker_url, started["user_code"])
    assert confirm_page.status_code == 200
    intruder = browser(broker_url, "bob", PASSWORD)

    entered = enter_user_code(intruder, broker_url, started["user_code"])
    direct = intruder.get(confirm_page.url, timeout=10)
    posted = intruder.post(
        confirm_page.url,
        data={"action": "accept", "csrfmiddlewaretoken": intruder.cookies["csrftoken"]},
        timeout=10,
    )

    assert entered.status_code == 400 and "not valid" in entered.text
    assert direct.status_code == 404 and posted.status_code == 404
    grant = DeviceGrant.objects.get(device_code=started["device_code"])
    assert grant.status == "authorization-pending" and grant.user.username == "alice"
    poll = token(broker_url, grant_type=DEVICE, device_code=started["device_code"])
    assert poll.json()["error"] == "authorization_pending"
    assert AuditEvent.objects.filter(action="cli.user_code_refused", actor="bob").count() == 1


def test_wrong_user_codes_are_limited_per_person(broker_url, alice, bob):
    started = start_device(broker_url)
    guesser = browser(broker_url, "bob", PASSWORD)

    wrong = [enter_user_code(guesser, broker_url, "BCDF-GHJK").status_code for _ in range(devicecodes.LIMIT)]
    right_but_late = enter_user_code(guesser, broker_url, started["user_code"])

    assert wrong == [400] * devicecodes.LIMIT
    assert right_but_late.status_code == 429 and "too many wrong codes" in right_but_late.text
    assert DeviceGrant.objects.get(device_code=started["device_code"]).user is None
    other = browser(broker_url, "alice", PASSWORD)
    assert enter_user_code(other, broker_url, started["user_code"]).status_code == 200


def test_a_confirm_page_for_an_unknown_code_is_a_404(broker_url, alice):
    person = browser(broker_url, "alice", PASSWORD)

    page = person.get(f"{broker_url}/oauth/device-confirm/{CLIENT}/BCDF-GHJK", timeout=10)

    assert page.status_code == 404


def test_another_client_id_is_refused(broker_url):
    answer = requests.post(
        f"{broker_url}/oauth/device-authorization/", data={"client_id": "other"}, timeout=10
    )

    assert 400 <= answer.status_code < 500


def test_the_device_page_needs_a_signed_in_person(broker_url):
    page = requests.get(f"{broker_url}/oauth/device/?user_code=BCDF-GHJK", allow_redirects=False, timeout=10)

    assert page.status_code == 302 and re.search(r"/login/\?next=", page.headers["Location"])
