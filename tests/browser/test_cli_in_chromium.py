"""`awsbroker login` with a real browser: Chromium approves both sign-ins the CLI starts.

The device confirmation page is the README's screenshot
(``docs/screenshots/cli-device-confirm.png``, ``make screenshots``).
"""

from __future__ import annotations

import pytest

from tests.cli_support import finish, read_until
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_device_sign_in_confirmed_in_chromium(browser, broker_url, alice, cli):
    child = cli.start("login", "--device", AWSBROKER_URL=broker_url)
    code = read_until(child.stderr, r"enter the code: ([A-Z]{4}-[A-Z]{4})").group(1)
    complete = read_until(child.stderr, r"\(or open (\S+)\)").group(1)

    browser.sign_in("alice", PASSWORD)
    browser.driver.get(complete)
    assert browser.find("#user_code").get_attribute("value") == code
    browser.find("form button.primary").click()
    browser.wait_for_text("Confirm this sign-in")
    assert browser.find("#user-code").text == code
    assert "awsbroker CLI" in browser.text() and "Signs in as\nalice" in browser.text().replace(
        " alice", "\nalice"
    )
    browser.screenshot("cli-device-confirm")
    browser.find("button[value=accept]").click()
    browser.wait_for_text("Your terminal is signed in as alice")

    status, _, err = finish(child)
    assert status == 0, err
    assert "as alice" in err


def test_browser_sign_in_allowed_in_chromium(browser, broker_url, alice, cli):
    browser.sign_in("alice", PASSWORD)
    child = cli.start("login", "--url", broker_url)
    authorize = read_until(child.stderr, r"(http://\S+/oauth/authorize/\?\S+)").group(1)

    browser.driver.get(authorize)
    browser.wait_for_text("Sign in awsbroker CLI?")
    browser.screenshot("cli-authorize")
    browser.find("button.primary[name=allow]").click()
    browser.wait_for_text("Signed in. You can close this tab")

    status, _, err = finish(child)
    assert status == 0, err
    assert f"Signed in to {broker_url} as alice" in err
