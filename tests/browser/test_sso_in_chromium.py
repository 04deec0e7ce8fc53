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
    live_server, settings, chromium, browser_idp: DemoIdP, tmp_path: Path, saml_keys
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
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

    chromium.get(f"{live_server.url}/login/?next=/")
    chromium.find_element(By.ID, "sso").click()
    WebDriverWait(chromium, 20).until(expected_conditions.url_to_be(f"{live_server.url}/"))

    assert "prod-developer" in chromium.page_source
    assert "alice" in chromium.find_element(By.CSS_SELECTOR, ".who").text
    session = next(c for c in chromium.get_cookies() if c["name"] == "sessionid")
    assert session["sameSite"] == "Lax"
    assert session["httpOnly"] is True and session["secure"] is True
