"""An admin sets up opening hours and a dialled number in Chromium, all through the admin pages' forms."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import Server
from tests.browser.helpers import (
    Api,
    horizontal_overflow,
    log_in,
    msg,
    new_context,
    run_axe,
    screenshot,
    watch_errors,
)

pytestmark = pytest.mark.browser


def test_admin_creates_a_calendar_and_a_number_that_uses_it(browser: Any, server: Server) -> None:
    api = Api(server.url, "admin")
    api.post("/api/queues", {"key": "uk-support", "name": "UK support"})
    context = new_context(browser, "en", "light", bypass_csp=True)  # axe-core is injected inline
    page = context.new_page()
    errors = watch_errors(page)
    log_in(page, server.url, "admin", "/admin/calendars")

    page.fill("#new-name", "London office")
    page.fill("#new-timezone", "Europe/London")
    page.fill("#new-country", "gb")
    page.fill("#new-hours", "09:00–17:30")
    page.get_by_role("button", name=msg("en", "admin.calendars.create")).click()
    page.wait_for_url(re.compile(r"/admin/calendars/\d+\?notice=created$"))
    calendar_id = int(re.findall(r"/admin/calendars/(\d+)", page.url)[0])
    assert msg("en", "admin.calendars.notice.created").split(".")[0] in page.inner_text("main [role=status]")
    now = page.inner_text("#calendar-now")
    assert msg("en", "admin.calendars.status.open") in now or msg("en", "admin.calendars.status.closed") in now
    assert page.input_value("#hours-0") == "09:00–17:30" and page.input_value("#hours-6") == ""
    assert run_axe(page) == [] and horizontal_overflow(page) == 0

    # A mistake is named by its weekday, the field is marked, and what was typed stays.
    page.fill("#hours-2", "nine to five")
    page.fill("#hours-5", "10:00–14:00")
    page.get_by_role("button", name=msg("en", "admin.calendars.save")).click()
    expected = msg("en", "admin.calendars.error.hours").replace("{day}", "Wednesday")
    assert expected in page.inner_text("#form-error")
    assert page.get_attribute("#hours-2", "aria-invalid") == "true"
    assert page.input_value("#hours-5") == "10:00–14:00"
    assert run_axe(page) == []

    page.fill("#hours-2", "09:00–12:00, 13:00–17:30")
    page.fill("#holiday-subdivision", "ENG")
    page.fill("#closed-days", "2030-12-24 Christmas Eve")
    page.get_by_role("button", name=msg("en", "admin.calendars.save")).click()
    page.wait_for_url(re.compile(rf"/admin/calendars/{calendar_id}\?notice=saved$"))
    assert page.input_value("#hours-2") == "09:00–12:00, 13:00–17:30"
    screenshot(page, "admin-calendar", "en", "light")

    page.get_by_role("link", name=msg("en", "nav.numbers")).click()
    page.wait_for_url(f"{server.url}/admin/numbers")
    page.fill("#new-number", "020 7946 0958")
    page.fill("#new-region", "GB")
    page.fill("#new-label", "London line")
    page.select_option("#new-queue", "uk-support")
    page.select_option("#new-calendar", label="London office")
    page.select_option("#new-action", "voicemail")
    page.fill("#new-message", "We are closed. Please leave a message.")
    page.get_by_role("button", name=msg("en", "admin.numbers.create")).click()
    page.wait_for_url(re.compile(r"/admin/numbers\?notice=created$"))
    row = page.locator("#numbers tbody tr", has_text="+442079460958")
    assert "London office" in row.inner_text() and msg("en", "admin.numbers.action.voicemail") in row.inner_text()
    assert run_axe(page) == [] and horizontal_overflow(page) == 0

    # The calendar cannot go while the number uses it; the page says which number.
    page.goto(f"{server.url}/admin/calendars/{calendar_id}")
    page.get_by_role("button", name=msg("en", "admin.calendars.delete").replace("{name}", "London office")).click()
    assert "+442079460958" in page.inner_text("#form-error")

    # What the pages stored is what the API (and so routing) sees.
    calendar = api.get(f"/api/calendars/{calendar_id}")
    assert (calendar["timezone"], calendar["holiday_country"], calendar["holiday_subdivision"]) == (
        "Europe/London", "GB", "ENG")
    assert [(s["weekday"], s["start"], s["end"]) for s in calendar["slots"] if s["weekday"] in (2, 5)] == [
        (2, "09:00", "12:00"), (2, "13:00", "17:30"), (5, "10:00", "14:00")]
    assert calendar["custom_closed"] == [{"date": "2030-12-24", "name": "Christmas Eve"}]
    [number] = [n for n in api.get("/api/numbers")["items"] if n["number"] == "+442079460958"]
    assert (number["queue"], number["calendar"], number["closed_action"], number["label"]) == (
        "uk-support", calendar_id, "voicemail", "London line")
    # The refused posts answer 422 and 409 on purpose; Chromium logs those, and nothing else may appear.
    assert [e for e in errors if not re.search(r"status of (422|409) ", e)] == []
    context.close()
