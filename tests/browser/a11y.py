"""The accessibility pass: axe-core (npm, installed by ``make install`` into devtools/a11y/) run
inside the page the browser shows, failing on serious or critical violations.

The script is handed to the page through WebDriver, not a <script> tag, so the
broker's CSP stays as strict as in production while axe reads the page.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from tests.conftest import ROOT

AXE = ROOT / "devtools" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(
  (result) => done(result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  }))),
  (error) => done([{id: "axe-error", impact: "critical", help: String(error), nodes: []}]),
);
"""


@cache
def axe_source() -> str:
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: run `make install` (npm ci in devtools/a11y)")
    return AXE.read_text(encoding="utf-8")


def violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(axe_source())
    found = driver.execute_async_script(RUN)
    return [v for v in found if v["impact"] in BLOCKING]
