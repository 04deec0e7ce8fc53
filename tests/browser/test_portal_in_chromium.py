"""A person's day with the broker, in Chromium: sign in, pick a role, reach AWS."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import totp
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from federation.models import Grant
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_directory_user_filters_roles_and_opens_the_console(browser, directory):
    browser.sign_in("alice", "alice-demo-pass")
    browser.wait_for_text("Your AWS roles")
    browser.screenshot("portal")
    shown = [el.text.split("\n")[0] for el in browser.all("li.role strong")]
    assert set(shown) == {"prod-developer", "prod-s3-reader", "sandbox-admin", "prod-keyless"}

    browser.type("#role-filter", "sandbox")
    visible = [el for el in browser.all("li.role") if el.is_displayed()]
    assert [el.find_element(By.TAG_NAME, "strong").text for el in visible] == ["sandbox-admin"]
    browser.type("#role-filter", "")

    row = browser.find("li.role[data-search^='prod-developer']")
    row.find_element(By.CSS_SELECTOR, "button.primary").click()  # Console opens a new tab
    driver = browser.driver
    driver.switch_to.window(driver.window_handles[-1])
    browser.wait_for_text("Signed in to the AWS console")
    browser.screenshot("console")
    assert (
        driver.find_element(By.ID, "identity").text
        == "arn:aws:sts::123456789012:assumed-role/Developer/alice"
    )


def test_cli_credentials_can_be_copied(browser, directory):
    browser.sign_in("alice", "alice-demo-pass")
    row = browser.find("li.role[data-search^='prod-developer']")
    row.find_element(By.XPATH, ".//button[text()='CLI credentials']").click()
    browser.wait_for_text("CLI credentials for prod-developer")
    browser.screenshot("credentials", publish=False)
    bash = browser.find("pre#s1").text
    assert bash.startswith("export AWS_ACCESS_KEY_ID=")

    browser.driver.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": browser.base_url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    browser.find("button.copy[data-copy='s1']").click()
    browser.wait_for_text("Copied")
    copied = browser.driver.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, () => done(null));"
    )
    assert copied == bash


def enrol_with_an_authenticator(browser) -> None:  # type: ignore[no-untyped-def]
    """What a person does with their phone: read the key, type the current code, keep the recovery codes."""
    browser.wait_for_text("Set up your second factor")
    assert browser.find(".qr svg").is_displayed()
    browser.screenshot("mfa-enrol", publish=False)  # shows a (throwaway) TOTP key
    key = browser.find("pre#secret").text.replace(" ", "")
    code = f"{totp(b32decode(key + '=' * (-len(key) % 8))):06d}"
    browser.type("#id_code", code)
    browser.find("form[action='/mfa/enrol/'] button").click()
    browser.wait_for_text("Your recovery codes")  # the first factor comes with them, shown once
    assert len(browser.all("ol.codes li")) == 10
    browser.find("#recovery-codes a.button").click()


def test_an_admin_enrols_mfa_and_adds_a_grant_in_the_admin(browser, grants):
    """Also: the group page shows its grants, not Django's permission picker, above the fold."""
    make_user("root", staff=True)
    browser.open("/admin/")  # one sign-in: the admin sends people to the portal's /login/
    browser.wait_for_text("Sign in")
    assert "/login/?next=" in browser.driver.current_url
    browser.type("#id_username", "root")
    browser.type("#id_password", PASSWORD)
    browser.find("form button.primary").click()
    enrol_with_an_authenticator(browser)  # the admin wants a second factor from staff
    browser.wait_for_text("Accounts, roles, grants and the audit trail")

    browser.open("/admin/auth/group/add/")
    browser.type("#id_name", "data-team")
    browser.find("#aws_grants-group .add-row a").click()
    browser.find("#aws_grants-0 .select2-selection").click()
    search = browser.find(".select2-search__field")
    search.send_keys("prod-readonly")
    WebDriverWait(browser.driver, 10).until(
        lambda driver: [el.text for el in browser.all(".select2-results__option")] == ["prod-readonly"]
    )
    search.send_keys(Keys.ENTER)
    browser.type("#id_aws_grants-0-session_seconds", "0.5")  # hours
    browser.driver.execute_script("document.getElementById('aws_grants-group').scrollIntoView()")
    browser.screenshot("admin-grant")
    assert not browser.find("#id_permissions_from").is_displayed()  # folded away
    browser.find("input[name=_save]").click()
    browser.wait_for_text("was added successfully")

    grant = Grant.objects.get(group__name="data-team")
    assert (grant.role.alias, grant.session_seconds) == ("prod-readonly", 1800)
