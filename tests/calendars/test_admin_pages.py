"""The calendar admin pages: create, edit hours per weekday and custom days, errors by field, status, delete."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from aiohttp.test_utils import TestClient

from callcenter.accounts.models import SYSTEM, Role
from callcenter.accounts.service import AccountService
from callcenter.calendars.api import CALENDARS
from callcenter.calendars.models import Calendar, make_slots
from callcenter.numbers.api import NUMBERS
from callcenter.numbers.models import NumberDraft
from callcenter.web.keys import DATABASE
from tests.factories import login, make_user
from tests.numbers.conftest import add_queue
from tests.web.test_pseudo_locale import ALLOWED, untranslated

Client = TestClient[Any, Any]
WEEK = {f"hours_{day}": "" for day in range(7)}


def _form(csrf: str, **fields: str) -> dict[str, str]:
    base = {"name": "Support", "name_en": "", "name_zh": "", "timezone": "Europe/London", "holiday_country": "GB",
            "holiday_subdivision": "", "closed_days": "", "open_days": "", **WEEK, "_csrf": csrf}
    return {**base, **fields}


async def test_create_then_edit_hours_days_and_see_status(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    csrf = await login(client, "root")
    service = client.app[CALENDARS]
    page = await client.get("/admin/calendars")
    text = await page.text()
    assert page.status == 200 and 'href="/admin/calendars" aria-current="page"' in text
    assert "No calendars yet." in text and 'value="09:00–17:00"' in text and '<option value="Europe/London">' in text

    created = await client.post("/admin/calendars", allow_redirects=False, data={
        "name": "UK support", "timezone": "Europe/London", "holiday_country": "gb", "hours_weekdays": "9:00-17:30",
        "_csrf": csrf})
    assert created.status == 303
    [record] = await service.list_calendars()
    assert created.headers["Location"] == f"/admin/calendars/{record.calendar.id}?notice=created"
    assert record.calendar.holiday_country == "GB"
    assert sorted(record.calendar.slots) == list(make_slots((day, time(9), time(17, 30)) for day in range(5)))

    # 2026-01-01 00:00 UTC: New Year's Day, a Thursday, so closed until Friday 09:00 London time.
    edit = await (await client.get(created.headers["Location"])).text()
    assert "Calendar added." in edit and "Closed now" in edit and "opens Friday 2026-01-02 09:00" in edit
    assert "Today there is a public holiday: New Year&#39;s Day" in edit
    assert 'name="hours_0" type="text"' in edit and 'value="09:00–17:30"' in edit
    assert "Public holiday: Good Friday" not in edit  # more than 60 days ahead

    path = f"/admin/calendars/{record.calendar.id}"
    saved = await client.post(path, allow_redirects=False, data=_form(
        csrf, name="UK support", name_zh="英国客服", hours_0="09:00–12:00, 13:00–17:00", hours_5="10:00 to 14:00",
        holiday_subdivision="ENG", closed_days="2026-01-05 Stocktake\n\n2026-01-06", open_days="2026-01-01 Sale"))
    assert saved.status == 303 and saved.headers["Location"] == f"{path}?notice=saved"
    calendar = (await service.get(record.calendar.id)).calendar
    assert sorted(calendar.slots) == list(make_slots([(0, time(9), time(12)), (0, time(13), time(17)),
                                                      (5, time(10), time(14))]))
    assert calendar.custom_closed == (date(2026, 1, 5), date(2026, 1, 6))
    assert calendar.custom_open == (date(2026, 1, 1),)
    assert (calendar.name_zh, calendar.holiday_subdivision) == ("英国客服", "ENG")

    shown = await (await client.get(f"{path}?notice=saved")).text()
    assert "Calendar saved." in shown
    days = shown[shown.index('id="calendar-days"'):]
    assert "Thursday 2026-01-01" in days and "Public holiday: New Year&#39;s Day" in days
    assert "Closed day Stocktake" in days and "Tuesday 2026-01-06" in days
    assert days.index("Thursday 2026-01-01") < days.index("Monday 2026-01-05")
    # New Year's Day is a custom open day, but Thursday has no hours: the first day with hours lends them.
    assert "Open now" not in shown and "opens Thursday 2026-01-01 09:00" in shown
    assert "2026-01-05 Stocktake\n2026-01-06</textarea>" in shown


async def test_form_errors_name_the_weekday_or_line_and_keep_the_input(
    client: Client, app_accounts: AccountService
) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    csrf = await login(client, "root")
    record = await client.app[CALENDARS].create(SYSTEM, Calendar(0, "Support", "Europe/London"))
    path = f"/admin/calendars/{record.calendar.id}"
    cases = [
        ({"hours_2": "9-5"}, "Wednesday: write the hours as", 'id="hours-2"'),
        ({"hours_3": "17:00–09:00"}, "Thursday: write the hours as", 'id="hours-3"'),
        ({"hours_4": "09:00–12:00, 11:00–13:00"}, "Friday: write the hours as", 'id="hours-4"'),
        ({"closed_days": "2026-01-05\n2026-13-01"}, "Closed days, line 2:", 'id="closed-days"'),
        ({"closed_days": "2026-01-05", "open_days": "\n2026-01-05"}, "Open days, line 2:", 'id="open-days"'),
        ({"timezone": "Moon/Base"}, "Enter an IANA timezone", 'id="timezone"'),
        ({"holiday_country": "QQ"}, "No public holidays are known", 'id="holiday-country"'),
        ({"holiday_subdivision": "Atlantis"}, "is not a region of the country", 'id="holiday-subdivision"'),
        ({"name": ""}, "The name must be 1–100 characters.", 'id="name"'),
    ]
    for fields, message, field_id in cases:
        response = await client.post(path, data=_form(csrf, **fields))
        text = await response.text()
        assert response.status == 422, fields
        assert message in text, fields
        marked = re.search(re.escape(field_id) + r'[^>]*aria-invalid="true"', text)
        assert marked is not None, fields
        for value in fields.values():
            if value:
                assert value.replace("\n", "") in text.replace("\n", ""), value
    assert (await client.app[CALENDARS].get(record.calendar.id)) == record

    await client.app[CALENDARS].create(SYSTEM, Calendar(0, "Other", "Europe/London"))
    taken = await client.post(path, data=_form(csrf, name="Other"))
    assert taken.status == 409 and "Another calendar already has that name." in await taken.text()
    bad_new = await client.post("/admin/calendars", data={"name": "New", "timezone": "Europe/London",
                                                          "hours_weekdays": "all day", "_csrf": csrf})
    assert bad_new.status == 422 and "Monday: write the hours as" in await bad_new.text()
    assert 'value="all day"' in await bad_new.text()


async def test_delete_from_the_page_and_the_number_that_blocks_it(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    csrf = await login(client, "root")
    await add_queue(client.app[DATABASE], "support")
    record = await client.app[CALENDARS].create(SYSTEM, Calendar(0, "Support", "Europe/London"))
    number = await client.app[NUMBERS].create(SYSTEM, NumberDraft("+44 20 7946 0958", "support",
                                                                   calendar=record.calendar.id))
    path = f"/admin/calendars/{record.calendar.id}"
    refused = await client.post(f"{path}/delete", data={"_csrf": csrf})
    assert refused.status == 409
    assert "This calendar sets the hours of +442079460958." in await refused.text()

    expired = await client.post(f"{path}/delete", data={"_csrf": "stale"}, allow_redirects=False,
                                headers={"Referer": f"http://{client.host}:{client.port}{path}"})
    assert expired.headers["Location"] == f"{path}?error=csrf"
    assert "The form had expired" in await (await client.get(expired.headers["Location"])).text()

    await client.app[NUMBERS].delete(SYSTEM, number.id)
    deleted = await client.post(f"{path}/delete", data={"_csrf": csrf}, allow_redirects=False)
    assert deleted.headers["Location"] == "/admin/calendars?notice=deleted"
    assert "Calendar deleted." in await (await client.get(deleted.headers["Location"])).text()
    assert await client.app[CALENDARS].list_calendars() == []
    assert (await client.get(path)).status == 404


async def test_calendar_pages_with_data_render_only_catalog_text_in_the_pseudo_locale(
    client: Client, app_accounts: AccountService
) -> None:
    await make_user(app_accounts, "root", Role.ADMIN, display_name="Pseudo Admin")
    csrf = await login(client, "root")
    slots = make_slots([(day, time(9), time(17)) for day in range(5)])
    record = await client.app[CALENDARS].create(
        SYSTEM, Calendar(0, "Support", "Europe/London", slots, "GB", custom_closed=(date(2026, 1, 5),),
                         custom_open=(date(2026, 1, 3),)), {date(2026, 1, 5): "Stocktake"})
    path = f"/admin/calendars/{record.calendar.id}"
    pages = {
        "/admin/calendars": await (await client.get("/admin/calendars?locale=pseudo")).text(),
        path: await (await client.get(f"{path}?locale=pseudo&notice=saved")).text(),
        f"{path} (error)": await (await client.post(f"{path}?locale=pseudo",
                                                    data=_form(csrf, hours_1="nine to five"))).text(),
    }
    found = {p: untranslated(html, ALLOWED | {"Support", "root"}) for p, html in pages.items()}
    assert {p: hits for p, hits in found.items() if hits} == {}
    assert all("⟦" in html and "Stocktake" in html for html in list(pages.values())[1:])
