"""The keyless console hop in Chromium: the page's static script posts the signed Response to AWS."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.django_db(transaction=True)


def test_console_on_a_saml_role_lands_through_aws_s_saml_sign_in(browser, directory, keyless):
    browser.sign_in("alice", "alice-demo-pass")
    browser.wait_for_text("Your AWS roles")
    row = browser.find("li.role[data-search^='prod-keyless']")
    row.find_element(By.CSS_SELECTOR, "button.primary").click()  # Console opens a new tab
    driver = browser.driver
    driver.switch_to.window(driver.window_handles[-1])
    browser.wait_for_text("Signed in to the AWS console")  # no click: the script submitted the form
    assert driver.current_url == keyless  # the browser POSTed to AWS's (the stand-in's) /saml
    assert (
        driver.find_element(By.ID, "identity").text == "arn:aws:sts::123456789012:assumed-role/Keyless/alice"
    )
    assert driver.find_element(By.ID, "issuer").text.startswith(
        "SAML: arn:aws:iam::123456789012:saml-provider/"
    )
    browser.screenshot("keyless-console")
