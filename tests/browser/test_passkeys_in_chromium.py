"""Passkeys in Chromium with a virtual authenticator (the DevTools protocol's WebAuthn domain):
enrol one, verify with it after the password, reach an admin that wants a phishing-resistant
factor, see it listed on the MFA page and remove it there. The page's script is
static/passkeys.js, under the portal's CSP (no inline script)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from broker.mfa.models import RecoveryCode
from broker.models import AuditEvent
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def authenticator(chromium) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A platform authenticator with user verification, answering every prompt by itself."""
    chromium.execute_cdp_cmd("WebAuthn.enable", {"enableUI": False})
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    authenticator_id = chromium.execute_cdp_cmd("WebAuthn.addVirtualAuthenticator", {"options": options})[
        "authenticatorId"
    ]
    yield authenticator_id
    chromium.execute_cdp_cmd("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator_id})
    chromium.execute_cdp_cmd("WebAuthn.disable", {})


@pytest.fixture
def https_like(browser, live_server, settings):  # type: ignore[no-untyped-def]
    """The portal as http://localhost:PORT, a secure context where Chromium offers WebAuthn."""
    assert live_server.url.startswith("http://localhost:")
    settings.BROKER_BASE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.BROKER_STAFF_REQUIRE_WEBAUTHN = True
    return browser


def visible(browser, css: str):  # type: ignore[no-untyped-def]
    return WebDriverWait(browser.driver, 15).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
    )


def test_enrol_a_passkey_verify_with_it_and_reach_the_admin(https_like, authenticator, chromium):
    browser = https_like
    make_user("admin", staff=True)
    browser.sign_in("admin", PASSWORD)
    browser.wait_for_text("Your AWS roles")
    browser.open("/admin/")
    browser.wait_for_text("Set up your second factor")  # the admin wants a passkey: staff enrol first
    assert "/mfa/enrol/?next=%2Fadmin%2F&need=webauthn" in chromium.current_url

    browser.find("#passkey-register-button").click()
    codes = visible(browser, "#recovery-codes")
    shown = [item.text for item in codes.find_elements(By.CSS_SELECTOR, "#recovery-code-list li")]
    browser.screenshot("passkey-enrolment")
    assert len(shown) == 10 and RecoveryCode.objects.count() == 10
    stored = WebAuthnCredential.objects.get(user__username="admin")
    in_browser = chromium.execute_cdp_cmd("WebAuthn.getCredentials", {"authenticatorId": authenticator})[
        "credentials"
    ]
    assert len(in_browser) == 1 and in_browser[0]["rpId"] == "localhost"

    browser.find("#recovery-continue").click()
    browser.wait_for_text("Accounts, roles, grants and the audit trail")  # the passkey counted

    browser.open("/")
    browser.find("header form[action='/logout/'] button").click()
    browser.wait_for_text("Sign in")
    browser.sign_in("admin", PASSWORD)
    browser.open("/admin/")
    browser.wait_for_text("Use your passkey or security key")
    browser.find("#passkey-verify-button").click()
    WebDriverWait(browser.driver, 15).until(lambda d: "/mfa/verify/" not in d.current_url)
    browser.open("/admin/")
    browser.wait_for_text("Accounts, roles, grants and the audit trail")
    stored.refresh_from_db()
    assert AuditEvent.objects.filter(action="mfa.verified", actor="admin", method="webauthn").exists()
    signed = chromium.execute_cdp_cmd("WebAuthn.getCredentials", {"authenticatorId": authenticator})[
        "credentials"
    ]
    assert signed[0]["signCount"] >= 1 and stored.sign_count == signed[0]["signCount"]


def test_the_mfa_page_lists_the_passkey_keeps_staffs_last_and_removes_it_once_allowed(
    https_like, authenticator, settings
):
    browser = https_like
    make_user("admin", staff=True)
    browser.sign_in("admin", PASSWORD)
    browser.open("/mfa/enrol/?need=webauthn")
    browser.find("#passkey-register-button").click()
    visible(browser, "#recovery-codes")
    stored = WebAuthnCredential.objects.get(user__username="admin")

    browser.open("/mfa/enrol/")
    browser.wait_for_text("Passkeys and security keys")
    browser.wait_for_text("the admin requires one from staff")  # staff's last passkey stays
    assert browser.find(f"#passkey-{stored.pk}").text.startswith("Passkey or security key (built in)")
    assert not browser.all(f"#passkey-{stored.pk} form")
    browser.assert_accessible()

    settings.BROKER_STAFF_REQUIRE_WEBAUTHN = False
    browser.open("/mfa/enrol/")
    browser.find(f"#passkey-{stored.pk} summary").click()
    browser.wait_for_text("This is your last second factor")
    browser.submit(f"#passkey-{stored.pk} form button")  # the page's own form: its CSRF token, POST
    browser.wait_for_text("Your passkey was removed and you have no second factor left")
    assert not WebAuthnCredential.objects.filter(pk=stored.pk).exists()
    assert AuditEvent.objects.filter(action="mfa.removed", actor="admin", method="webauthn").exists()
