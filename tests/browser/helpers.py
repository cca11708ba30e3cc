"""What the browser tests share: contexts, logging in, catalog lookups, axe, screenshots."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "browser-pass-1"
SCREENS = ROOT / "artifacts" / "screens"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORT = {"width": 1366, "height": 768}
BROWSER_LOCALE = {"en": "en-US", "zh-Hans": "zh-CN"}


@cache
def catalog(locale: str) -> dict[str, str]:
    """A catalog as the server ships it (the pseudo-locale is not needed here)."""
    data: dict[str, str] = json.loads(
        (ROOT / "callcenter" / "web" / "i18n" / f"{locale}.json").read_text(encoding="utf-8")
    )
    return data


def msg(locale: str, key: str) -> str:
    """One message without parameters filled in."""
    return catalog(locale)[key]


def new_context(browser: Any, locale: str = "en", theme: str = "light", **options: Any) -> Any:
    """A context as a user with this browser language and colour scheme would have."""
    return browser.new_context(
        viewport=VIEWPORT, locale=BROWSER_LOCALE[locale], color_scheme=theme, **options
    )


def watch_errors(page: Any) -> list[str]:
    """Collect page errors and console errors (CSP refusals show up there)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda message: errors.append(f"console: {message.text}")
        if message.type == "error" and "favicon" not in message.text and "404" not in message.text
        else None,
    )
    return errors


def log_in(page: Any, base_url: str, username: str, path: str = "/") -> None:
    """Sign in through the form and land on ``path``."""
    page.goto(f"{base_url}/login?next={path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(base_url + path) + r"(\?.*)?$"))


def wait_connected(page: Any) -> None:
    """Until the connection indicator says the socket is up and the snapshot applied."""
    page.wait_for_selector('#connection[data-state="connected"]', timeout=10_000)


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now.

    axe is injected as an inline script, so the page's context needs ``bypass_csp=True``.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def screenshot(page: Any, test: str, locale: str, theme: str) -> Path:
    """Save ``artifacts/screens/<test>-<locale>-<theme>-<w>x<h>.png``."""
    size = page.viewport_size
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{test}-{locale}-{theme}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path))
    return path


def horizontal_overflow(page: Any) -> int:
    """How many pixels the page is wider than the viewport (0: no horizontal scroll)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))
