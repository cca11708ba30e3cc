"""Dialled numbers: normalisation, validation by field, and the route routing asks for, across DST and holidays."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from callcenter.accounts.models import Actor
from callcenter.calendars.models import Calendar, make_slots
from callcenter.calendars.service import CalendarService
from callcenter.clock import FakeClock
from callcenter.db import Database
from callcenter.errors import Conflict, DomainError, Invalid, NotFound
from callcenter.numbers import store
from callcenter.numbers.models import ClosedAction, NumberDraft, NumberRoute
from callcenter.numbers.service import ROUTE_MS, NumberService
from tests.numbers.conftest import add_queue

WEEKDAYS_9_TO_5 = make_slots((day, time(9), time(17)) for day in range(5))


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def ms(when: datetime) -> int:
    return int(when.timestamp()) * 1000


async def _refused(call: Awaitable[Any], error: type[DomainError]) -> list[tuple[str | int, ...]]:
    try:
        await call
    except error as err:
        return [f.loc for f in err.fields]
    raise AssertionError("accepted")


@pytest.mark.parametrize(("typed", "region", "stored"), [
    ("020 7946 0958", "GB", "+442079460958"),
    ("(010) 6552 9988", "CN", "+861065529988"),
    ("138 0013 8000", "cn", "+8613800138000"),
    ("(201) 555-0123", "US", "+12015550123"),
    ("030 1234567", "DE", "+49301234567"),
    ("0044 20 7946 0958", "US", "+442079460958"),
    ("+86 10 6552 9988", "GB", "+861065529988"),
])
async def test_numbers_are_stored_in_e164_read_in_their_region(
    numbers: NumberService, admin: Actor, db: Database, typed: str, region: str, stored: str
) -> None:
    await add_queue(db, "support")
    created = await numbers.create(admin, NumberDraft(typed, "support", region=region))
    assert (created.number, created.region) == (stored, region.upper())
    assert (created.queue_key, created.queue_name, created.calendar_id) == ("support", "Support", None)
    assert created.closed_action is ClosedAction.REJECT and created.closed_message is None


async def test_the_default_region_reads_national_forms(numbers: NumberService, admin: Actor, db: Database) -> None:
    await add_queue(db, "support")
    created = await numbers.create(admin, NumberDraft(" 0800 123 4567 ", "support", label="  Freephone "))
    assert (created.number, created.region, created.label) == ("+448001234567", "GB", "Freephone")


async def test_bad_drafts_are_refused_naming_the_field(
    numbers: NumberService, calendars: CalendarService, admin: Actor, db: Database
) -> None:
    await add_queue(db, "support")
    good = NumberDraft("020 7946 0958", "support")
    cases = [
        (("number",), NumberDraft("12345", "support")),
        (("number",), NumberDraft("020 7946 0958 ext. 12", "support")),
        (("number",), NumberDraft("call us", "support")),
        (("region",), NumberDraft("020 7946 0958", "support", region="GBR")),
        (("region",), NumberDraft("020 7946 0958", "support", region="XX")),
        (("queue",), NumberDraft("020 7946 0958", "sales")),
        (("calendar",), NumberDraft("020 7946 0958", "support", calendar=42)),
        (("closed_action",), NumberDraft("020 7946 0958", "support", closed_action="hang_up")),
        (("closed_message",), NumberDraft("020 7946 0958", "support", closed_message="x" * 501)),
        (("label",), NumberDraft("020 7946 0958", "support", label="x" * 81)),
    ]
    for loc, draft in cases:
        assert await _refused(numbers.create(admin, draft), Invalid) == [loc]
    # The same number in another form is the same number.
    first = await numbers.create(admin, good)
    assert await _refused(numbers.create(admin, NumberDraft("+44 (0)20 7946 0958", "support")), Conflict) \
        == [("number",)]
    other = await numbers.create(admin, NumberDraft("020 7946 0000", "support"))
    assert await _refused(numbers.update(admin, other.id, {"number": "+442079460958"}), Conflict) == [("number",)]
    assert [n.id for n in await numbers.list_numbers()] == [first.id, other.id]
    with pytest.raises(NotFound):
        await numbers.update(admin, 999, {"label": "x"})
    with pytest.raises(ValueError, match="colour"):
        await numbers.update(admin, first.id, {"colour": "red"})


async def test_updates_change_only_the_fields_given(
    numbers: NumberService, calendars: CalendarService, admin: Actor, db: Database
) -> None:
    await add_queue(db, "support")
    await add_queue(db, "sales")
    hours = await calendars.create(admin, Calendar(0, "Office", "Europe/London", WEEKDAYS_9_TO_5))
    created = await numbers.create(admin, NumberDraft("020 7946 0958", "support", "Main line", "GB",
                                                      hours.calendar.id, "voicemail", "We are closed."))
    moved = await numbers.update(admin, created.id, {"queue": "sales", "closed_message": ""})
    assert (moved.queue_key, moved.closed_message, moved.label) == ("sales", None, "Main line")
    assert (moved.calendar_id, moved.calendar_name, moved.closed_action) == (hours.calendar.id, "Office",
                                                                             ClosedAction.VOICEMAIL)
    national = await numbers.update(admin, created.id, {"number": "010 6552 9988", "region": "CN", "calendar": None})
    assert (national.number, national.region, national.calendar_id) == ("+861065529988", "CN", None)
    assert await numbers.get(created.id) == national
    await numbers.delete(admin, created.id)
    with pytest.raises(NotFound):
        await numbers.get(created.id)
    actions = [r["action"] for r in await db.fetchall("SELECT action FROM audit_log WHERE target_kind = 'number'")]
    assert actions == ["number.create", "number.update", "number.update", "number.delete"]


async def test_route_for_loads_the_queue_region_and_whole_calendar(
    numbers: NumberService, calendars: CalendarService, admin: Actor, db: Database
) -> None:
    await add_queue(db, "support")
    hours = await calendars.create(
        admin, Calendar(0, "Office", "Europe/London", WEEKDAYS_9_TO_5, "GB", "ENG", (date(2026, 1, 5),),
                        (date(2026, 1, 3),)), {date(2026, 1, 5): "Stocktake"})
    created = await numbers.create(admin, NumberDraft("020 7946 0958", "support", "UK", "GB", hours.calendar.id,
                                                      "callback", "Leave your number."))
    async with db.read() as conn:
        route = await store.route_for(conn, "+442079460958")
        assert await store.route_for(conn, "+442079460000") is None
        assert await store.route_for(conn, "020 7946 0958") is None  # only E.164 is looked up
    assert route == NumberRoute(created.id, "+442079460958", "UK", "support", "GB", hours.calendar, "callback",
                                "Leave your number.")
    assert route is not None and route.calendar is not None
    assert route.calendar.custom_closed == (date(2026, 1, 5),) and route.calendar.custom_open == (date(2026, 1, 3),)


async def test_route_says_open_or_closed_across_dst_and_a_holiday(
    numbers: NumberService, calendars: CalendarService, admin: Actor, db: Database, clock: FakeClock
) -> None:
    await add_queue(db, "support")
    hours = await calendars.create(admin, Calendar(0, "Office", "Europe/London", WEEKDAYS_9_TO_5, "GB", "ENG"))
    await numbers.create(admin, NumberDraft("020 7946 0958", "support", calendar=hours.calendar.id))

    async def open_at(when: datetime, dialled: str = "+442079460958") -> bool:
        clock.set(when)
        found = await numbers.route(dialled, clock.now_ms())
        assert found is not None
        return found[1]

    # Friday 27 March 2026 is still GMT: 09:00 local is 09:00 UTC.
    assert not await open_at(at(2026, 3, 27, 8, 59))
    assert await open_at(at(2026, 3, 27, 9, 0))
    # Clocks go forward on Sunday 29 March: on Monday 09:00 local is 08:00 UTC, 17:00 local 16:00 UTC.
    assert not await open_at(at(2026, 3, 30, 7, 59))
    assert await open_at(at(2026, 3, 30, 8, 0))
    assert await open_at(at(2026, 3, 30, 15, 59))
    assert not await open_at(at(2026, 3, 30, 16, 0))
    # Good Friday, 3 April, is an English public holiday; the day before is a working Thursday.
    assert await open_at(at(2026, 4, 2, 10))
    assert not await open_at(at(2026, 4, 3, 10))
    # National forms of the dialled number, with and without the international prefix, find the same route.
    for dialled in ("020 7946 0958", "00442079460958", "442079460958", "tel:+44-20-7946-0958"):
        assert not await open_at(at(2026, 4, 3, 10), dialled), dialled

    # Opening on Good Friday after all is a local change: seen at once, without waiting for the cache.
    await calendars.update(admin, hours.calendar.id, Calendar(0, "Office", "Europe/London", WEEKDAYS_9_TO_5, "GB",
                                                             "ENG", custom_open=(date(2026, 4, 3),)))
    assert await open_at(at(2026, 4, 3, 10))
    assert await numbers.route("020 7946 0000", clock.now_ms()) is None
    assert await numbers.route("anonymous", clock.now_ms()) is None


async def test_a_number_without_hours_is_always_open(numbers: NumberService, admin: Actor, db: Database,
                                                     clock: FakeClock) -> None:
    await add_queue(db, "support")
    created = await numbers.create(admin, NumberDraft("+86 10 6552 9988", "support", region="CN"))
    found = await numbers.route("010 6552 9988", clock.now_ms())  # the default region is GB: not this number
    assert found is None
    route, is_open = await numbers.route("+861065529988", clock.now_ms()) or (None, False)
    assert route is not None and (route.number_id, route.calendar, route.region, is_open) == (created.id, None, "CN",
                                                                                              True)


async def test_routes_are_cached_briefly_and_dropped_on_local_changes(
    numbers: NumberService, admin: Actor, db: Database, clock: FakeClock
) -> None:
    await add_queue(db, "support")
    await add_queue(db, "sales")
    created = await numbers.create(admin, NumberDraft("020 7946 0958", "support"))

    async def queue_of(dialled: str = "+442079460958") -> str | None:
        found = await numbers.route(dialled, clock.now_ms())
        return None if found is None else found[0].queue_key

    assert await queue_of() == "support"
    assert await queue_of("+442079460000") is None
    # Another node moves the number and adds one: this node trusts what it read for ROUTE_MS.
    sales = await db.fetchval("SELECT id FROM queues WHERE key = 'sales'")
    async with db.transaction() as conn:
        await conn.execute("UPDATE numbers SET queue_id = ? WHERE id = ?", (sales, created.id))
        await conn.execute("INSERT INTO numbers (number, queue_id, region, created_at, updated_at)"
                           " VALUES ('+442079460000', ?, 'GB', 0, 0)", (sales,))
    assert await queue_of() == "support"
    assert await queue_of("+442079460000") is None
    clock.advance(ROUTE_MS / 1000)
    assert await queue_of() == "sales"
    assert await queue_of("+442079460000") == "sales"
    # A change made here is seen at once.
    await numbers.update(admin, created.id, {"queue": "support"})
    assert await queue_of() == "support"
    await numbers.delete(admin, created.id)
    assert await queue_of() is None
