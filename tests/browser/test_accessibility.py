"""Every page in both themes and both languages: axe-core WCAG 2.1 A/AA, no horizontal scroll, a screenshot."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Server
from tests.browser.helpers import (
    VIEWPORT,
    Api,
    horizontal_overflow,
    log_in,
    new_context,
    run_axe,
    screenshot,
    wait_connected,
    watch_errors,
)

pytestmark = pytest.mark.browser

# page name → (path, who signs in, None for the sign-in page itself)
PAGES = {
    "login": ("/login", None),
    "console": ("/", "agent"),
    "supervisor": ("/supervisor", "super"),
    "admin-users": ("/admin/users", "admin"),
    "admin-devices": ("/admin/devices", "admin"),
    "admin-integrations": ("/admin/integrations", "admin"),
    "admin-audit": ("/admin/audit", "admin"),
    "admin-teams": ("/admin/teams", "admin"),
    "admin-calendars": ("/admin/calendars", "admin"),
    "admin-numbers": ("/admin/numbers", "admin"),
    "admin-skills": ("/admin/skills", "admin"),
    "admin-queues": ("/admin/queues", "admin"),
    "admin-queue": ("queue:a11y", "admin"),
    "customers": ("/customers", "agent"),
    "api-docs": ("/api/docs", "admin"),
}
LIVE = {"console", "supervisor"}


def _queue_page(server: Server, key: str) -> str:
    """The admin page of a queue with a wanted skill and a disposition, made through the API the first time."""
    api = Api(server.url, "admin")
    found = [q for q in api.get("/api/queues?limit=200")["items"] if q["key"] == key]
    if found:
        return f"/admin/queues/{found[0]['id']}"
    skill = api.post("/api/skills", {"name": f"Checked {key}", "name_zh": "检查"})
    queue = api.post("/api/queues", {"key": key, "name": "Checked queue", "name_zh": "检查队列",
                                     "skills": [{"skill": skill["id"], "min_proficiency": 2}]})
    api.post(f"/api/queues/{queue['id']}/dispositions",
             {"code": "sale", "label": "Sale", "label_zh": "成交", "first_contact_resolved": True})
    return f"/admin/queues/{queue['id']}"


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("locale", ["en", "zh-Hans"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_accessible_and_fits(browser: Any, server: Server, name: str, locale: str, theme: str) -> None:
    path, username = PAGES[name]
    if path.startswith("queue:"):
        path = _queue_page(server, path.removeprefix("queue:"))
    context = new_context(browser, locale, theme, bypass_csp=True)  # axe-core is injected inline
    page = context.new_page()
    errors = watch_errors(page)
    if username is None:
        page.goto(f"{server.url}{path}")
    else:
        log_in(page, server.url, username, path)
    if name in LIVE:
        wait_connected(page)
    page.wait_for_load_state("networkidle")

    assert page.get_attribute("html", "lang") == locale
    assert run_axe(page) == []
    assert horizontal_overflow(page) == 0
    screenshot(page, name, locale, theme)
    if name in LIVE:
        # The wide layout of a desk monitor, too.
        page.set_viewport_size({"width": 1920, "height": 1080})
        assert horizontal_overflow(page) == 0
        screenshot(page, name, locale, theme)
        page.set_viewport_size(VIEWPORT)
    if name == "console":
        page.click("#away-toggle")
        assert run_axe(page) == []
        screenshot(page, "console-away-reasons", locale, theme)
    assert errors == []
    context.close()


def test_the_axe_check_reports_what_it_should(browser: Any, chromium_path: Any) -> None:
    context = new_context(browser, "en", "light", bypass_csp=True)
    page = context.new_page()
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>t</h1>'
        '<input type="text"><p style="color:#bbb;background:#fff">faint</p></main></body></html>'
    )
    found = {violation["id"] for violation in run_axe(page)}
    assert {"label", "color-contrast"} <= found
    context.close()
