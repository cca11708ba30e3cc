"""Calendars stored and served: round trips, validation by field, roles, status checks, deletes a number blocks."""

from __future__ import annotations

import json
from datetime import date, time
from typing import Any

from aiohttp.test_utils import TestClient

from callcenter.accounts.models import SYSTEM, Actor, Role
from callcenter.accounts.service import AccountService
from callcenter.calendars.api import CALENDARS
from callcenter.calendars.models import Calendar, make_slots
from callcenter.calendars.service import CalendarService
from callcenter.db import Database
from callcenter.errors import Conflict, Invalid, NotFound
from callcenter.numbers.api import NUMBERS
from callcenter.numbers.models import NumberDraft
from callcenter.web.keys import CLOCK, DATABASE
from tests.factories import login, make_user, origin
from tests.numbers.conftest import add_queue

Client = TestClient[Any, Any]

SUPPORT = {
    "name": "UK support",
    "name_en": "UK support hours",
    "name_zh": "英国客服时间",
    "timezone": "Europe/London",
    "slots": [
        {"weekday": 4, "start": "13:00", "end": "17:30"},
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "13:00", "end": "17:00"},
        {"weekday": 5, "start": "18:00", "end": "00:00"},
    ],
    "holiday_country": "gb",
    "holiday_subdivision": "eng",
    "custom_closed": [{"date": "2026-12-24", "name": "Christmas Eve"}, {"date": "2026-07-03"}],
    "custom_open": [{"date": "2026-12-28", "name": "Stocktake"}],
}


def _locs(body: dict[str, Any]) -> list[list[str | int]]:
    return [f["loc"] for f in body["error"]["fields"]]


def _calendar(name: str = "Support", **extra: Any) -> Calendar:
    slots = make_slots((day, time(9), time(17)) for day in range(5))
    return Calendar(0, name, extra.pop("timezone", "Europe/London"), extra.pop("slots", slots), **extra)


async def test_a_calendar_round_trips_with_slots_holidays_and_custom_days(
    calendars: CalendarService, admin: Actor, db: Database
) -> None:
    calendar = _calendar(holiday_country="CN", custom_closed=(date(2026, 2, 16), date(2026, 1, 2)),
                         custom_open=(date(2026, 2, 14),), name_zh="客服")
    created = await calendars.create(admin, calendar, {date(2026, 2, 14): "调休上班", date(2026, 2, 16): "春节"})
    stored = created.calendar
    assert stored.id > 0 and stored.name == "Support" and stored.name_zh == "客服" and stored.name_en is None
    assert sorted(stored.slots) == sorted(calendar.slots)
    assert (stored.holiday_country, stored.holiday_subdivision) == ("CN", None)
    assert sorted(stored.custom_closed) == [date(2026, 1, 2), date(2026, 2, 16)]
    assert stored.custom_open == (date(2026, 2, 14),)
    assert created.day_name(date(2026, 2, 14)) == "调休上班" and created.day_name(date(2026, 1, 2)) is None
    assert (await calendars.get(stored.id)) == created

    # A replacement swaps every rule; the audit log has both changes.
    night = make_slots([(5, time(22), time(0)), (6, time(0), time(6))])
    updated = await calendars.update(admin, stored.id, _calendar("Night", timezone="America/New_York", slots=night,
                                                                 holiday_country="US", holiday_subdivision="ca"))
    again = (await calendars.get(stored.id)).calendar
    assert updated.calendar == again
    assert (again.name, again.timezone, again.holiday_subdivision) == ("Night", "America/New_York", "CA")
    assert sorted(again.slots) == sorted(night) and again.custom_closed == () and updated.day_names == ()
    assert [r.calendar.id for r in await calendars.list_calendars()] == [stored.id]
    actions = [r["action"] for r in await db.fetchall("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-2:] == ["calendar.create", "calendar.update"]


async def test_service_refuses_bad_calendars_naming_the_field(calendars: CalendarService, admin: Actor) -> None:
    cases = {
        ("timezone",): _calendar(timezone="Mars/Olympus"),
        ("holiday_country",): _calendar(holiday_country="XX"),
        ("holiday_subdivision",): _calendar(holiday_country="GB", holiday_subdivision="Texas"),
        ("slots", 1): _calendar(slots=make_slots([(0, time(9), time(12)), (0, time(11), time(13))])),
        ("custom_open", 0): _calendar(custom_closed=(date(2026, 5, 1),), custom_open=(date(2026, 5, 1),)),
        ("custom_closed", 0, "name"): _calendar(custom_closed=(date(2026, 5, 1),)),
        ("name",): _calendar(name=" "),
    }
    for loc, calendar in cases.items():
        names = {date(2026, 5, 1): "x" * 101} if loc == ("custom_closed", 0, "name") else {}
        try:
            await calendars.create(admin, calendar, names)
        except Invalid as err:
            assert [f.loc for f in err.fields] == [loc], loc
        else:
            raise AssertionError(f"{loc} accepted")
    await calendars.create(admin, _calendar())
    try:
        await calendars.create(admin, _calendar())
    except Conflict as err:
        assert [f.loc for f in err.fields] == [("name",)]
    else:
        raise AssertionError("duplicate name accepted")
    assert len(await calendars.list_calendars()) == 1


async def test_admin_round_trip_over_the_api(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    await login(client, "root")
    created = await client.post("/api/calendars", headers=origin(client), json=SUPPORT)
    assert created.status == 201, await created.text()
    body = await created.json()
    path = f"/api/calendars/{body['id']}"
    assert body["slots"] == [
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "13:00", "end": "17:00"},
        {"weekday": 4, "start": "13:00", "end": "17:30"},
        {"weekday": 5, "start": "18:00", "end": "00:00"},
    ]
    assert (body["holiday_country"], body["holiday_subdivision"]) == ("GB", "ENG")
    assert body["custom_closed"] == [{"date": "2026-07-03", "name": None},
                                     {"date": "2026-12-24", "name": "Christmas Eve"}]
    assert body["custom_open"] == [{"date": "2026-12-28", "name": "Stocktake"}]
    assert (body["name"], body["name_en"], body["name_zh"], body["timezone"]) == (
        "UK support", "UK support hours", "英国客服时间", "Europe/London")
    assert await (await client.get(path)).json() == body
    listed = await (await client.get("/api/calendars")).json()
    assert listed == {"items": [body], "next_cursor": None}

    # PUT replaces everything; 24:00 is accepted as midnight and read back as 00:00.
    replaced = await client.put(path, headers=origin(client), json={
        "name": "UK support", "timezone": "Europe/London", "slots": [{"weekday": 6, "start": "20:00", "end": "24:00"}]})
    assert replaced.status == 200
    after = await replaced.json()
    assert after["slots"] == [{"weekday": 6, "start": "20:00", "end": "00:00"}]
    assert after["holiday_country"] is None and after["custom_closed"] == [] and after["name_zh"] is None
    assert (await client.put("/api/calendars/999", headers=origin(client), json=SUPPORT)).status == 404

    deleted = await client.delete(path, headers=origin(client))
    assert deleted.status == 200 and await deleted.json() == {"ok": True}
    assert (await client.get(path)).status == 404


async def test_api_errors_name_the_body_field(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    await login(client, "root")

    def with_(**changes: Any) -> dict[str, Any]:
        return {**json.loads(json.dumps(SUPPORT)), **changes}

    slots = [{"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 0, "start": "13:00", "end": "17:00"}]
    backwards = [*slots[:2], {"weekday": 0, "start": "18:00", "end": "17:00"}]
    overlapping = [*slots[:2], {"weekday": 0, "start": "11:00", "end": "14:00"}]
    cases: list[tuple[dict[str, Any], int, list[Any]]] = [
        (with_(slots=backwards), 422, ["body", "slots", 2, "end"]),
        (with_(slots=overlapping), 422, ["body", "slots", 2]),
        (with_(slots=[{"weekday": 7, "start": "09:00", "end": "10:00"}]), 422, ["body", "slots", 0, "weekday"]),
        (with_(slots=[{"weekday": 1, "start": "9am", "end": "10:00"}]), 422, ["body", "slots", 0, "start"]),
        (with_(timezone="Europe/Atlantis"), 422, ["body", "timezone"]),
        (with_(holiday_country="ZZ"), 422, ["body", "holiday_country"]),
        (with_(holiday_subdivision="XYZ"), 422, ["body", "holiday_subdivision"]),
        (with_(holiday_country=None), 422, ["body", "holiday_subdivision"]),
        (with_(custom_open=[{"date": "2026-12-24"}]), 422, ["body", "custom_open", 0]),
        (with_(custom_closed=[{"date": "2026-01-05"}, {"date": "2026-01-05"}]), 422, ["body", "custom_closed", 1]),
        (with_(custom_closed=[{"date": "2026-02-30"}]), 422, ["body", "custom_closed", 0, "date"]),
        (with_(custom_closed=[{"date": "2026-01-05", "name": "x" * 101}]), 422,
         ["body", "custom_closed", 0, "name"]),
        (with_(name=""), 422, ["body", "name"]),
        (with_(colour="blue"), 422, ["body", "colour"]),
    ]
    for body, status, loc in cases:
        response = await client.post("/api/calendars", headers=origin(client), json=body)
        assert response.status == status, (loc, await response.text())
        assert _locs(await response.json()) == [loc]
    assert (await client.post("/api/calendars", headers=origin(client), json=SUPPORT)).status == 201
    taken = await client.post("/api/calendars", headers=origin(client), json=SUPPORT)
    assert taken.status == 409 and _locs(await taken.json()) == [["body", "name"]]
    assert (await client.get("/api/calendars")).status == 200
    assert len((await (await client.get("/api/calendars")).json())["items"]) == 1


async def test_agents_read_and_check_but_only_admins_change(client: Client, app_accounts: AccountService) -> None:
    assert (await client.get("/api/calendars")).status == 401
    await make_user(app_accounts, "emma")
    await make_user(app_accounts, "lina", Role.SUPERVISOR)
    record = await client.app[CALENDARS].create(SYSTEM, _calendar())
    path = f"/api/calendars/{record.calendar.id}"
    for username in ("emma", "lina"):
        await login(client, username)
        assert (await client.get("/api/calendars")).status == 200
        assert (await client.get(path)).status == 200
        assert (await client.get(f"{path}/status")).status == 200
        for method, target in (("POST", "/api/calendars"), ("PUT", path), ("DELETE", path),
                               ("GET", "/admin/calendars"), ("GET", f"/admin/calendars/{record.calendar.id}")):
            response = await client.request(method, target, json=SUPPORT,
                                            headers={**origin(client), "Accept": "application/json"})
            assert response.status == 403, (username, method, target)
    assert (await client.app[CALENDARS].get(record.calendar.id)) == record


async def test_status_at_an_instant_with_the_holiday_in_the_callers_language(
    client: Client, app_accounts: AccountService
) -> None:
    await make_user(app_accounts, "emma")
    await login(client, "emma")
    service = client.app[CALENDARS]
    london = await service.create(SYSTEM, _calendar(holiday_country="GB", holiday_subdivision="ENG"))
    beijing = await service.create(SYSTEM, _calendar("Beijing", timezone="Asia/Shanghai", holiday_country="CN"))

    # 09:30 British Summer Time on a Wednesday is 08:30 UTC; it closes at 17:00 BST, 16:00 UTC.
    response = await client.get(f"/api/calendars/{london.calendar.id}/status", params={"at": "2026-06-10T08:30:00Z"})
    assert await response.json() == {"at": 1781080200000, "open": True, "next_change": 1781107200000, "holiday": None}
    # Without an offset the time is read in the calendar's zone: the same instant.
    naive = await client.get(f"/api/calendars/{london.calendar.id}/status", params={"at": "2026-06-10T09:30:00"})
    assert (await naive.json())["at"] == 1781080200000

    christmas = await (await client.get(f"/api/calendars/{london.calendar.id}/status",
                                        params={"at": "2026-12-25T10:00:00+00:00"})).json()
    assert christmas["open"] is False and christmas["holiday"] == "Christmas Day"
    # The next opening is Tuesday 29 December: Boxing Day is observed on Monday the 28th.
    assert christmas["next_change"] == 1798534800000

    national_day = {"at": "2026-10-01T10:00:00+08:00"}
    in_chinese = await client.get(f"/api/calendars/{beijing.calendar.id}/status", params=national_day,
                                  headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert (await in_chinese.json())["holiday"] == "国庆节"
    in_english = await client.get(f"/api/calendars/{beijing.calendar.id}/status", params=national_day,
                                  headers={"Accept-Language": "en-GB"})
    assert (await in_english.json())["holiday"] == "National Day"

    # Without ``at`` it is now: 08:00 on New Year's Day in Beijing.
    now = await (await client.get(f"/api/calendars/{beijing.calendar.id}/status")).json()
    assert (now["at"], now["open"], now["holiday"]) == (client.app[CLOCK].now_ms(), False, "New Year's Day")
    bad = await client.get(f"/api/calendars/{london.calendar.id}/status", params={"at": "soon"})
    assert bad.status == 422 and _locs(await bad.json()) == [["query", "at"]]
    assert (await client.get("/api/calendars/999/status")).status == 404


async def test_deleting_a_calendar_a_number_uses_is_refused_naming_the_number(
    client: Client, app_accounts: AccountService
) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    await login(client, "root")
    await add_queue(client.app[DATABASE], "support")
    record = await client.app[CALENDARS].create(SYSTEM, _calendar())
    numbers = client.app[NUMBERS]
    number = await numbers.create(SYSTEM, NumberDraft("020 7946 0958", "support", "UK line", "GB",
                                                      record.calendar.id))
    path = f"/api/calendars/{record.calendar.id}"
    refused = await client.delete(path, headers=origin(client))
    assert refused.status == 409
    error = (await refused.json())["error"]
    assert "+442079460958 (UK line)" in error["message"]
    assert error["fields"] == [{"loc": ["numbers", 0], "msg": "+442079460958 (UK line)"}]
    assert (await client.get(path)).status == 200

    await numbers.update(SYSTEM, number.id, {"calendar": None})
    assert (await client.delete(path, headers=origin(client))).status == 200
    try:
        await client.app[CALENDARS].get(record.calendar.id)
    except NotFound:
        pass
    else:
        raise AssertionError("calendar still there")
