"""The portal and its pages in Chromium at desktop (1280 px) and phone (390 px) widths:
fast repeat use, credentials that survive a reload, copy buttons, countdowns, styled errors,
dark mode, and an axe-core pass with no serious or critical violation."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from federation.models import Issuance
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)
# Before a published screenshot: keep the first characters of each value, blank the rest.
BLANK_SECRETS = """
document.querySelectorAll("code[id^=v-]").forEach((e) => {
  e.textContent = e.textContent.slice(0, 6) + "…";
});
document.querySelectorAll("pre[id^=s]").forEach((e) => {
  e.textContent = e.textContent.replace(/([A-Za-z0-9\\/+=]{6})[A-Za-z0-9\\/+=]{10,}/g, "$1…");
});
window.scrollTo(0, 0);
"""
WIDTHS = pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["1280px", "390px"])


@pytest.fixture
def alice_signs_in(browser, grants):  # type: ignore[no-untyped-def]
    make_user("alice", "developers")

    def sign_in(width: int) -> None:
        browser.at_width(width)
        browser.sign_in("alice", PASSWORD)
        browser.wait_for_text("Your AWS roles")

    return sign_in


def allow_clipboard(browser) -> None:  # type: ignore[no-untyped-def]
    browser.driver.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": browser.base_url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )


def clipboard(browser) -> str:  # type: ignore[no-untyped-def]
    return browser.driver.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, () => done(null));"
    )


@WIDTHS
def test_the_login_page_fits_and_passes_axe(browser, grants, width):
    browser.at_width(width)
    browser.open("/login/")
    browser.find("#id_username")
    assert browser.overflow() == 0
    browser.assert_accessible()


@WIDTHS
def test_the_portal_fits_the_screen_keeps_favourites_and_passes_axe(browser, alice_signs_in, width):
    alice_signs_in(width)
    assert browser.overflow() == 0
    assert browser.driver.switch_to.active_element.get_attribute("id") == "role-filter"  # focused on load
    browser.assert_accessible()

    row = browser.find("[data-account] li.role[data-role='sandbox-admin']")
    row.find_element(By.CSS_SELECTOR, "button.fav").click()
    favourite = browser.find("#favourites li.role[data-role='sandbox-admin']")
    assert favourite.find_element(By.CSS_SELECTOR, "button.fav").get_attribute("aria-pressed") == "true"
    assert browser.overflow() == 0
    browser.assert_accessible()
    if width == PHONE:
        browser.screenshot("portal-phone")


@WIDTHS
def test_slash_focuses_the_filter_and_enter_opens_the_first_matchs_console(browser, alice_signs_in, width):
    alice_signs_in(width)
    browser.find("h1").click()  # focus away from the filter
    browser.driver.switch_to.active_element.send_keys("/")
    assert browser.driver.switch_to.active_element.get_attribute("id") == "role-filter"
    browser.driver.switch_to.active_element.send_keys("sandbox")
    visible = [
        el.get_attribute("data-role") for el in browser.all("[data-account] li.role") if el.is_displayed()
    ]
    assert visible == ["sandbox-admin"]
    browser.driver.switch_to.active_element.send_keys(Keys.ENTER)

    driver = browser.driver
    WebDriverWait(driver, 10).until(lambda d: len(d.window_handles) == 2)
    driver.switch_to.window(driver.window_handles[-1])
    browser.wait_for_text("Signed in to the AWS console")
    assert driver.find_element(By.ID, "identity").text == "arn:aws:sts::111122223333:assumed-role/Admin/alice"


@WIDTHS
def test_credentials_page_counts_down_copies_each_value_and_survives_a_reload(browser, alice_signs_in, width):
    browser.driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Tokyo"})
    alice_signs_in(width)
    allow_clipboard(browser)
    row = browser.find("[data-account] li.role[data-role='prod-developer']")
    row.find_element(By.XPATH, ".//button[starts-with(normalize-space(.), 'CLI credentials')]").click()
    browser.wait_for_text("CLI credentials for prod-developer")

    assert "Production" in browser.text()  # the account by name
    countdown = browser.find(".countdown").text
    assert re.fullmatch(r"\d+ h \d+ min left", countdown), countdown
    local = browser.find("time[data-local]").text
    assert "GMT+9" in local, local  # rewritten in the reader's own zone (the server prints UTC)
    key = browser.find("code#v-key").text

    browser.find("button.copy[data-copy='v-key']").click()
    WebDriverWait(browser.driver, 5).until(lambda d: clipboard(browser) == key)
    browser.find("button.copy[data-copy='s1']").click()
    WebDriverWait(browser.driver, 5).until(lambda d: clipboard(browser) == browser.find("pre#s1").text)

    assert browser.overflow() == 0
    browser.assert_accessible()

    browser.driver.refresh()  # a GET: the same set, nothing new issued
    browser.wait_for_text("CLI credentials for prod-developer")
    assert browser.find("code#v-key").text == key
    assert Issuance.objects.count() == 1

    if width == DESKTOP:  # published with the values blanked: even moto's are not put in docs/
        browser.driver.execute_script(BLANK_SECRETS)
        browser.screenshot("credentials")


@WIDTHS
def test_opening_the_credentials_url_directly_offers_to_issue(browser, alice_signs_in, width):
    alice_signs_in(width)
    browser.open("/roles/prod-developer/credentials/")
    browser.wait_for_text("Get CLI credentials")
    assert not Issuance.objects.exists()
    assert browser.overflow() == 0
    browser.assert_accessible()


@WIDTHS
def test_the_tokens_page_fits_offers_profiles_and_passes_axe(browser, alice_signs_in, width):
    alice_signs_in(width)
    allow_clipboard(browser)
    browser.open("/tokens/")
    browser.type("#label", "laptop")
    browser.find("form button.primary").click()
    browser.wait_for_text("Your new token")
    token = browser.find("pre#token").text
    browser.find("button.copy[data-copy='token']").click()
    WebDriverWait(browser.driver, 5).until(lambda d: clipboard(browser) == token)
    assert "[profile broker-prod-developer]" in browser.find("pre#profiles").text
    assert browser.overflow() == 0
    browser.assert_accessible()


@WIDTHS
def test_errors_are_styled_cards_and_the_api_reference_fits(browser, alice_signs_in, width):
    alice_signs_in(width)
    browser.open("/roles/prod-developer/console/")  # a POST-only page opened as a link
    browser.wait_for_text("This page opens from a button")
    browser.open("/no-such-page/")
    browser.wait_for_text("Page not found")
    assert browser.overflow() == 0
    browser.assert_accessible()
    browser.open("/api/docs/")
    browser.wait_for_text("GET/api/v1/roles/")
    assert browser.overflow() == 0


@WIDTHS
def test_dark_mode_follows_the_system_preference(browser, alice_signs_in, width):
    browser.prefer_dark()
    alice_signs_in(width)
    background = browser.driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(n) for n in re.findall(r"\d+", background)[:3])
    assert red + green + blue < 120, background
    browser.assert_accessible()  # contrast holds in the dark theme too
    if width == PHONE:
        browser.screenshot("portal-phone-dark")


@WIDTHS
def test_an_admin_edits_grants_on_the_group_page_at_any_width(browser, grants, width):
    from django.contrib.auth.models import Group

    from tests.browser.test_portal_in_chromium import enrol_with_an_authenticator

    make_user("root", staff=True)
    browser.at_width(width)
    browser.open("/admin/")
    browser.type("#id_username", "root")
    browser.type("#id_password", PASSWORD)
    browser.find("form button.primary").click()
    enrol_with_an_authenticator(browser)
    browser.wait_for_text("Accounts, roles, grants and the audit trail")
    index = browser.text().lower()
    assert "sign-in lockouts" in index and "axes" not in index and "otp_totp" not in index

    browser.open(f"/admin/auth/group/{Group.objects.get(name='developers').pk}/change/")
    heading = browser.find("#aws_grants-group h2")
    assert heading.is_displayed() and heading.text.lower() == "aws roles this group grants"
    assert not browser.find("#id_permissions_from").is_displayed()
    policy = browser.find("#id_aws_grants-0-session_policy")
    assert policy.get_attribute("value") == ""  # blank, not null
    assert browser.find("#id_aws_grants-0-session_seconds").get_attribute("value") == "4"  # hours
