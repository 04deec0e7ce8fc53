"""Just-in-time elevation in Chromium: alice requests a role, dave approves it, alice uses it.

Also takes the README's screenshots of the request and approval pages
(``make screenshots`` publishes them to docs/screenshots/).
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from federation.elevation.models import AccessRequest
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_request_is_made_approved_and_used_in_the_browser(browser, eligible):
    make_user("alice", "developers")
    make_user("dave", "leads")

    browser.sign_in("alice", PASSWORD)
    browser.wait_for_text("Roles you can request")
    row = browser.find("li.role[data-eligible='prod-readonly']")
    Select(row.find_element(By.NAME, "duration_seconds")).select_by_value("3600")
    row.find_element(By.NAME, "justification").send_keys("INC-4711: the billing export is stuck")
    row.find_element(By.NAME, "ticket").send_keys("INC-4711")
    browser.screenshot("elevation-portal")
    row.find_element(By.CSS_SELECTOR, "button.primary").click()
    browser.wait_for_text("State: pending")
    browser.screenshot("elevation-request")
    request = AccessRequest.objects.get()

    browser.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.sign_in("dave", PASSWORD)
    browser.wait_for_text("Your AWS roles")
    browser.open(f"/requests/{request.pk}/")
    browser.wait_for_text("Your decision")
    browser.type("#comment", "On call tonight, approved")
    browser.screenshot("elevation-approve")
    browser.find("button.primary").click()
    browser.wait_for_text("State: active")
    assert "On call tonight, approved" in browser.text()

    browser.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.sign_in("alice", PASSWORD)
    browser.wait_for_text("s left")
    shown = [el.text.split("\n")[0] for el in browser.all("li.role[data-search] strong")]
    assert "prod-readonly" in shown  # usable beside the standing roles now
