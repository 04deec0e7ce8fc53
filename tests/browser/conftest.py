"""The portal in a real browser: Debian's Chromium driven by Selenium.

The browser and chromedriver are the system packages (devtools/system-deps.sh);
nothing is downloaded. Screenshots go to a temporary folder, or to
docs/screenshots/ when ``SAVE_SCREENSHOTS=1`` (``make screenshots``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import a11y
from tests.conftest import ROOT
from tests.ldap.conftest import configure, directory, slapd, test_ca  # noqa: F401 - fixtures

PHONE, DESKTOP = 390, 1280
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


class Browser:
    """A thin, readable layer over Selenium for the portal tests."""

    def __init__(self, driver: webdriver.Chrome, base_url: str, shots: Path, scratch: Path) -> None:
        self.driver, self.base_url, self.shots, self.scratch = driver, base_url, shots, scratch

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def find(self, css: str):  # type: ignore[no-untyped-def]
        # chromedriver may answer "unhandled inspector error" while a document is replaced: look again
        return WebDriverWait(self.driver, 10, ignored_exceptions=(WebDriverException,)).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
        )

    def all(self, css: str) -> list:  # type: ignore[type-arg]
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def type(self, css: str, text: str) -> None:
        field = self.find(css)
        # Keystrokes, not clear(): scripts listening for input events must see the change.
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(Keys.BACKSPACE)
        field.send_keys(text)

    def sign_in(self, username: str, password: str) -> None:
        """Submit the directory form and wait for the answer page, so the session cookie is set
        before the test's next navigation (a busy machine once let a `get` overtake the POST)."""
        self.open("/login/")
        self.type("#id_username", username)
        self.type("#id_password", password)
        self.submit("form button.primary")

    def submit(self, css: str) -> None:
        """Click a form's button and wait until the browser shows the document that answers it.

        The old document carries a marker the new one lacks; polling for it rides out the errors
        chromedriver gives mid-navigation (a stale node, "unhandled inspector error").
        """
        self.driver.execute_script("window.__brokerTestLeaving = true")
        self.find(css).click()

        def arrived(driver: webdriver.Chrome) -> bool:
            return bool(
                driver.execute_script(
                    "return window.__brokerTestLeaving === undefined && document.readyState === 'complete'"
                )
            )

        WebDriverWait(self.driver, 20, ignored_exceptions=(WebDriverException,)).until(arrived)

    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def wait_for_text(self, text: str) -> None:
        # The page may be replaced mid-check while a form submits (a stale element, or chromedriver's
        # "unhandled inspector error" while the old document goes away): look again.
        WebDriverWait(self.driver, 10, ignored_exceptions=(WebDriverException,)).until(
            lambda d: text in d.find_element(By.TAG_NAME, "body").text
        )

    def at_width(self, width: int) -> None:
        """Lay the page out as a phone (390 px, touch, mobile viewport) or a desktop window."""
        if width == DESKTOP:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
            return
        metrics = {"width": width, "height": 844, "deviceScaleFactor": 2, "mobile": True}
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)

    def prefer_dark(self, dark: bool = True) -> None:
        features = [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": features})

    def overflow(self) -> int:
        """How many CSS pixels the page is wider than the viewport (0: nothing to scroll sideways)."""
        return self.driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )

    def assert_accessible(self) -> None:
        found = a11y.violations(self.driver)
        assert not found, f"axe-core on {self.driver.current_url}: {found}"

    def screenshot(self, name: str, *, publish: bool = True) -> Path:
        """Pages showing credentials (even moto's) are never published to docs/."""
        path = (self.shots if publish else self.scratch) / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


@pytest.fixture
def browser(chromium, live_server, aws, tmp_path) -> Iterator[Browser]:  # type: ignore[no-untyped-def]
    shots = ROOT / "docs" / "screenshots" if os.environ.get("SAVE_SCREENSHOTS") == "1" else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    yield Browser(chromium, live_server.url, shots, tmp_path)
    chromium.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    chromium.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    chromium.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ""})
    # Leave no second tab behind for the next test.
    for handle in chromium.window_handles[1:]:
        chromium.switch_to.window(handle)
        chromium.close()
    chromium.switch_to.window(chromium.window_handles[0])
