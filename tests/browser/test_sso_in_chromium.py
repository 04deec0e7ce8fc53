"""The whole SSO flow in headless Chromium, with production cookie settings (SameSite=Lax).

The broker is served as http://localhost:PORT and the IdP as
http://127.0.0.1:PORT, two different sites, so the IdP's auto-submitted POST
to the ACS is cross-site and carries no Lax cookie. The sign-in must still
complete: the request is found by RelayState, and the browser is tied to it
on the same-site hop.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.saml import config
from devtools.demo_idp import DemoIdP, serve
from federation.grantsfile import load
from tests.conftest import DEMO_GRANTS, free_port
from tests.saml_support import write_metadata

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()), reason="Debian chromium and chromium-driver are needed"
)


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def browser_idp(saml_keys, tmp_path: Path) -> Iterator[DemoIdP]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    idp = DemoIdP(tmp_path, f"{base}/metadata", f"{base}/sso", saml_keys.idp)
    server = serve(idp, "127.0.0.1", port, {"alice": ["developers"]}, auto_user="alice")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield idp
    server.shutdown()
    server.server_close()


@pytest.mark.django_db(transaction=True)
def test_sso_in_chromium_reaches_the_portal_with_samesite_lax_cookies(
    live_server, settings, browser, browser_idp: DemoIdP, tmp_path: Path, saml_keys
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    load(DEMO_GRANTS.read_text(encoding="utf-8"))
    assert live_server.url.startswith("http://localhost:")  # another site than the IdP's 127.0.0.1
    settings.BROKER_BASE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.SESSION_COOKIE_SAMESITE = settings.CSRF_COOKIE_SAMESITE = "Lax"
    # Chromium keeps Secure cookies on http://localhost (a secure context), so production's value holds.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SAML_IDP_METADATA_FILE = str(write_metadata(tmp_path, browser_idp, [saml_keys.idp]))
    settings.SAML_ALLOW_IDP_INITIATED = False
    config.reset()

    browser.get(f"{live_server.url}/login/?next=/")
    browser.find_element(By.ID, "sso").click()
    WebDriverWait(browser, 20).until(expected_conditions.url_to_be(f"{live_server.url}/"))

    assert "prod-developer" in browser.page_source
    assert "alice" in browser.find_element(By.CSS_SELECTOR, ".who").text
    session = next(c for c in browser.get_cookies() if c["name"] == "sessionid")
    assert session["sameSite"] == "Lax"
    assert session["httpOnly"] is True and session["secure"] is True
