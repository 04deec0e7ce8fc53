"""OpenID Connect sign-in in headless Chromium, through the provider's real pages.

The broker is served as http://localhost:PORT and the provider (npm
oidc-provider, run by node) as http://127.0.0.1:PORT: two sites, so the
provider's redirect to the callback is a cross-site top-level navigation that
must carry the SameSite=Lax session (the state lives there).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from broker.oidc import provider as oidc_cache
from broker.saml import config as saml_config
from devtools import oidc_provider
from federation.grantsfile import load
from tests.conftest import DEMO_GRANTS, free_port
from tests.saml_support import write_metadata


@pytest.fixture
def browser_provider(live_server) -> Iterator[oidc_provider.Provider]:  # type: ignore[no-untyped-def]
    clients = [oidc_provider.client("aws-broker", "browser-secret", [f"{live_server.url}/oidc/callback/"])]
    running = oidc_provider.start(port=free_port(), clients=clients)
    yield running
    running.stop()


@pytest.mark.django_db(transaction=True)
def test_oidc_in_chromium_signs_in_through_the_providers_pages(
    live_server, settings, chromium, browser_provider, idp, saml_keys, tmp_path: Path
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    from tests.browser.conftest import Browser

    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    load(DEMO_GRANTS.read_text(encoding="utf-8"))
    settings.BROKER_BASE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.SESSION_COOKIE_SAMESITE = settings.CSRF_COOKIE_SAMESITE = "Lax"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.OIDC_ISSUER = browser_provider.issuer
    settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = "aws-broker", "browser-secret"
    settings.OIDC_DISPLAY_NAME = "Example ID"
    settings.SAML_IDP_METADATA_FILE = str(write_metadata(tmp_path, idp, [saml_keys.idp]))  # the third door
    oidc_cache.reset()
    saml_config.reset()
    import os

    from tests.conftest import ROOT

    publish = os.environ.get("SAVE_SCREENSHOTS") == "1"
    shots = ROOT / "docs" / "screenshots" if publish else tmp_path
    page = Browser(chromium, live_server.url, shots, tmp_path)

    page.open("/login/")
    assert page.find("#sso") and page.find("#id_password")
    page.find("#oidc")
    page.screenshot("login-three-doors")
    page.find("#oidc").click()

    page.find("input[name=login]").send_keys("alice")
    page.find("input[name=password]").send_keys("any password")
    page.find("button.login-submit").click()
    WebDriverWait(chromium, 20).until(expected_conditions.url_to_be(f"{live_server.url}/"))
    assert "alice" in chromium.find_element(By.CSS_SELECTOR, ".who").text
    assert "sandbox-admin" in chromium.page_source

    page.find("header form button.link").click()
    page.wait_for_text("Also sign out of Example ID")
    page.find("#rp-logout button").click()
    WebDriverWait(chromium, 20).until(lambda d: d.current_url.startswith(browser_provider.issuer))
    assert "session/end" in chromium.current_url or "logout" in chromium.page_source.lower()
