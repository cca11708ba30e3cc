"""An admin sets up a queue in Chromium: a new skill, a new queue wanting it, and a disposition, all through forms."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import Server
from tests.browser.helpers import Api, log_in, msg, new_context, run_axe, watch_errors

pytestmark = pytest.mark.browser


def test_admin_creates_a_queue_with_a_skill_and_a_disposition(browser: Any, server: Server) -> None:
    context = new_context(browser, "en", "light", bypass_csp=True)  # axe-core is injected inline
    page = context.new_page()
    errors = watch_errors(page)
    log_in(page, server.url, "admin", "/admin/skills")

    page.fill("#new-name", "Cantonese")
    page.fill("#new-name-zh", "粤语")
    page.get_by_role("button", name=msg("en", "admin.skills.create")).click()
    page.wait_for_url(re.compile(r"/admin/skills\?notice=created$"))
    assert msg("en", "admin.skills.notice.created") in page.inner_text("main [role=status]")
    assert "Cantonese" in page.inner_text("#skills")

    page.get_by_role("link", name=msg("en", "nav.queues")).click()
    page.wait_for_url(f"{server.url}/admin/queues")
    page.fill("#new-key", "hk-sales")
    page.fill("#new-name", "Hong Kong sales")
    page.get_by_role("button", name=msg("en", "admin.queues.create")).click()
    page.wait_for_url(re.compile(r"/admin/queues/\d+\?notice=created$"))
    queue_id = int(re.findall(r"/admin/queues/(\d+)", page.url)[0])

    skill = page.get_by_label("Cantonese", exact=True)
    skill.select_option("3")
    page.get_by_role("button", name=msg("en", "admin.queue.skills.save")).click()
    page.wait_for_url(re.compile(r"notice=skills_saved$"))
    assert page.get_by_label("Cantonese", exact=True).input_value() == "3"

    page.fill("#new-d-code", "resolved")
    page.fill("#new-d-label", "Resolved")
    page.fill("#new-d-label-zh", "已解决")
    page.check("#new-d-fcr")
    page.get_by_role("button", name=msg("en", "admin.queue.dispositions.add")).click()
    page.wait_for_url(re.compile(r"notice=disposition_added$"))
    row = page.locator("#dispositions tbody tr").first
    assert "resolved" in row.inner_text() and msg("en", "admin.queue.dispositions.yes") in row.inner_text()
    assert run_axe(page) == []

    # What the pages stored is what the API (and so the router) sees.
    api = Api(server.url, "admin")
    queue = api.get(f"/api/queues/{queue_id}")
    assert (queue["key"], queue["name"], queue["enabled"]) == ("hk-sales", "Hong Kong sales", True)
    assert [(s["skill"], s["min_proficiency"]) for s in queue["skills"]] == [("Cantonese", 3)]
    [disposition] = api.get(f"/api/queues/{queue_id}/dispositions")["items"]
    assert (disposition["code"], disposition["label_zh"], disposition["first_contact_resolved"]) == (
        "resolved", "已解决", True)
    assert errors == []
    context.close()
