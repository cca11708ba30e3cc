"""Opening-hours arithmetic: weekly slots, holidays, exceptions and DST, with exact epoch-ms answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.calendars.hours import (
    add_business_seconds,
    business_seconds_between,
    holiday_name,
    is_open,
    next_change,
    next_open,
    open_spans,
    supported_holiday_regions,
)
from callcenter.calendars.models import Calendar, CalendarError, TimeSlot, make_slots, validate_calendar

HOUR = 3600


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    """Epoch ms of a UTC wall time, computed without any timezone database."""
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()) * 1000


def weekdays(*hours: tuple[int, int], days: range = range(5)) -> tuple[TimeSlot, ...]:
    return make_slots((day, time(start), time(end % 24)) for day in days for start, end in hours)


def cal(timezone: str, slots: tuple[TimeSlot, ...], country: str | None = None, **extra: Any) -> Calendar:
    calendar = replace(Calendar(1, "Support", timezone, slots, country), **extra)
    return validate_calendar(calendar, supported_holiday_regions())


LONDON = cal("Europe/London", weekdays((9, 17)), "GB", holiday_subdivision="ENG")
NEW_YORK = cal("America/New_York", weekdays((9, 17)), "US")
SHANGHAI = cal("Asia/Shanghai", weekdays((9, 12), (13, 18)), "CN", custom_open=(date(2026, 10, 10),))
ALWAYS = cal("Europe/London", weekdays((0, 24), days=range(7)))
NEVER = cal("Europe/London", ())
LONDON_NIGHT = cal("Europe/London", make_slots([(6, time(1), time(3))]))  # Sundays 01:00–03:00
NEW_YORK_NIGHT = cal("America/New_York", make_slots([(6, time(1), time(4))]))  # Sundays 01:00–04:00


def test_weekday_hours_open_at_the_start_and_closed_at_the_end() -> None:
    # Wednesday 2026-06-10, British Summer Time: 09:00 local is 08:00 UTC.
    assert not is_open(LONDON, utc(2026, 6, 10, 8) - 1)
    assert is_open(LONDON, utc(2026, 6, 10, 8))
    assert is_open(LONDON, utc(2026, 6, 10, 16) - 1)
    assert not is_open(LONDON, utc(2026, 6, 10, 16))
    assert next_change(LONDON, utc(2026, 6, 10, 12)) == utc(2026, 6, 10, 16)
    assert business_seconds_between(LONDON, utc(2026, 6, 10), utc(2026, 6, 11)) == 8 * HOUR


def test_lunch_break_splits_the_day() -> None:
    # Shanghai is UTC+8 all year: 12:00 local is 04:00 UTC.
    at = utc(2026, 6, 10, 2)
    assert next_change(SHANGHAI, at) == utc(2026, 6, 10, 4)
    assert next_change(SHANGHAI, utc(2026, 6, 10, 4)) == utc(2026, 6, 10, 5)
    assert not is_open(SHANGHAI, utc(2026, 6, 10, 4, 30))
    assert next_open(SHANGHAI, utc(2026, 6, 10, 4, 30)) == utc(2026, 6, 10, 5)
    assert open_spans(SHANGHAI, utc(2026, 6, 10), utc(2026, 6, 11)) == [
        (utc(2026, 6, 10, 1), utc(2026, 6, 10, 4)), (utc(2026, 6, 10, 5), utc(2026, 6, 10, 10))]
    assert business_seconds_between(SHANGHAI, utc(2026, 6, 9, 16), utc(2026, 6, 10, 16)) == 8 * HOUR


def test_closed_weekend_moves_the_deadline_to_monday() -> None:
    friday_4pm = utc(2026, 6, 12, 15)
    assert not is_open(LONDON, utc(2026, 6, 13, 12))
    assert next_open(LONDON, utc(2026, 6, 12, 17)) == utc(2026, 6, 15, 8)
    assert add_business_seconds(LONDON, friday_4pm, 2 * HOUR) == utc(2026, 6, 15, 9)
    assert business_seconds_between(LONDON, friday_4pm, utc(2026, 6, 15, 9)) == 2 * HOUR


def test_public_holidays_are_closed_and_named() -> None:
    assert not is_open(SHANGHAI, utc(2026, 10, 1, 3))  # Thursday, National Day
    assert holiday_name(SHANGHAI, date(2026, 10, 1)) == "National Day"
    assert holiday_name(SHANGHAI, date(2026, 10, 1), "zh-Hans") == "国庆节"
    assert not is_open(LONDON, utc(2026, 12, 25, 12))
    assert holiday_name(LONDON, date(2026, 12, 25)) == "Christmas Day"
    assert not is_open(NEW_YORK, utc(2026, 11, 26, 15))
    assert holiday_name(NEW_YORK, date(2026, 11, 26)) == "Thanksgiving Day"
    assert is_open(NEW_YORK, utc(2026, 11, 27, 15))
    assert holiday_name(NEW_YORK, date(2026, 11, 27)) is None
    assert holiday_name(NEVER, date(2026, 12, 25)) is None


def test_custom_open_working_saturday_after_golden_week() -> None:
    # 2026-10-01..07 are days off in China; Saturday 10-10 is worked, with the weekday hours.
    assert next_open(SHANGHAI, utc(2026, 9, 30, 10)) == utc(2026, 10, 8, 1)
    assert next_open(SHANGHAI, utc(2026, 10, 9, 10)) == utc(2026, 10, 10, 1)
    assert next_change(SHANGHAI, utc(2026, 10, 10, 1)) == utc(2026, 10, 10, 4)
    assert business_seconds_between(SHANGHAI, utc(2026, 10, 9, 16), utc(2026, 10, 10, 16)) == 8 * HOUR
    assert not is_open(SHANGHAI, utc(2026, 10, 17, 2))  # an ordinary Saturday stays closed


def test_custom_open_overrides_a_holiday_and_custom_closed_closes_a_weekday() -> None:
    calendar = cal("Europe/London", weekdays((9, 17)), "GB", custom_open=(date(2026, 12, 28),),
                   custom_closed=(date(2026, 6, 12),))
    assert holiday_name(calendar, date(2026, 12, 28)) == "Boxing Day (observed)"
    assert is_open(calendar, utc(2026, 12, 28, 9))
    assert not is_open(LONDON, utc(2026, 12, 28, 9))
    assert not is_open(calendar, utc(2026, 6, 12, 12))
    assert next_open(calendar, utc(2026, 6, 11, 17)) == utc(2026, 6, 15, 8)


def test_london_spring_forward_shortens_and_fall_back_lengthens_a_night_slot() -> None:
    # 2026-03-29: 01:00 GMT jumps to 02:00 BST, so 01:00–02:00 local never happens.
    assert open_spans(LONDON_NIGHT, utc(2026, 3, 28), utc(2026, 3, 30)) == [
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2))]
    assert next_open(LONDON_NIGHT, utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 1)
    # 2026-10-25: 02:00 BST falls back to 01:00 GMT, so 01:00–02:00 local happens twice.
    assert open_spans(LONDON_NIGHT, utc(2026, 10, 24), utc(2026, 10, 26)) == [
        (utc(2026, 10, 25, 0), utc(2026, 10, 25, 3))]
    assert is_open(LONDON_NIGHT, utc(2026, 10, 25, 0, 30)) and is_open(LONDON_NIGHT, utc(2026, 10, 25, 1, 30))
    assert business_seconds_between(LONDON_NIGHT, utc(2026, 10, 24), utc(2026, 10, 26)) == 3 * HOUR


def test_london_office_hours_follow_the_clocks() -> None:
    assert next_change(LONDON, utc(2026, 3, 27, 12)) == utc(2026, 3, 27, 17)  # 17:00 GMT
    assert next_open(LONDON, utc(2026, 3, 27, 17)) == utc(2026, 3, 30, 8)  # 09:00 BST
    assert next_open(LONDON, utc(2026, 10, 23, 16)) == utc(2026, 10, 26, 9)  # 09:00 GMT again
    assert business_seconds_between(ALWAYS, utc(2026, 3, 29), utc(2026, 3, 29, 23)) == 23 * HOUR
    assert business_seconds_between(ALWAYS, utc(2026, 10, 24, 23), utc(2026, 10, 26)) == 25 * HOUR


def test_new_york_dst_changes() -> None:
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT; 2026-11-01: 02:00 EDT falls back to 01:00 EST.
    assert open_spans(NEW_YORK_NIGHT, utc(2026, 3, 7), utc(2026, 3, 9)) == [
        (utc(2026, 3, 8, 6), utc(2026, 3, 8, 8))]
    assert open_spans(NEW_YORK_NIGHT, utc(2026, 10, 31), utc(2026, 11, 2)) == [
        (utc(2026, 11, 1, 5), utc(2026, 11, 1, 9))]
    assert next_open(NEW_YORK, utc(2026, 3, 6, 22)) == utc(2026, 3, 9, 13)  # 09:00 EDT
    assert next_change(NEW_YORK, utc(2026, 11, 2, 14)) == utc(2026, 11, 2, 22)  # 17:00 EST


def test_slots_inside_the_skipped_and_the_repeated_hour() -> None:
    skipped = cal("America/New_York", make_slots([(6, time(2, 30), time(5))]))
    assert open_spans(skipped, utc(2026, 3, 8), utc(2026, 3, 9)) == [(utc(2026, 3, 8, 7), utc(2026, 3, 8, 9))]
    repeated = cal("America/New_York", make_slots([(6, time(1, 15), time(1, 45))]))
    assert open_spans(repeated, utc(2026, 11, 1), utc(2026, 11, 2)) == [
        (utc(2026, 11, 1, 5, 15), utc(2026, 11, 1, 5, 45)), (utc(2026, 11, 1, 6, 15), utc(2026, 11, 1, 6, 45))]


def test_closed_hours_across_a_dst_change_and_a_holiday() -> None:
    # Friday 27 March (GMT) then Monday and Tuesday (BST): 24 business hours end Tuesday 17:00 BST.
    assert add_business_seconds(LONDON, utc(2026, 3, 27, 9), 24 * HOUR) == utc(2026, 3, 31, 16)
    # Thursday before Easter: Good Friday and Easter Monday are closed.
    assert next_open(LONDON, utc(2026, 4, 2, 16)) == utc(2026, 4, 7, 8)
    assert add_business_seconds(LONDON, utc(2026, 4, 2, 8), 24 * HOUR) == utc(2026, 4, 8, 16)
    # Christmas Eve 15:00 GMT, 8 hours: 2 that day, Christmas and the observed Boxing Day closed.
    assert add_business_seconds(LONDON, utc(2026, 12, 24, 15), 8 * HOUR) == utc(2026, 12, 29, 15)


def test_deadline_that_ends_at_a_close_is_the_close() -> None:
    assert add_business_seconds(LONDON, utc(2026, 6, 10, 8), 8 * HOUR) == utc(2026, 6, 10, 16)
    assert add_business_seconds(LONDON, utc(2026, 6, 13), 0) == utc(2026, 6, 13)


def test_slots_touching_across_midnight_are_one_stretch() -> None:
    night = cal("Europe/Berlin", make_slots([(0, time(22), time(0)), (1, time(0), time(6))]))
    monday_23h = utc(2026, 6, 8, 21)  # CEST is UTC+2
    assert next_change(night, monday_23h) == utc(2026, 6, 9, 4)
    assert is_open(night, utc(2026, 6, 8, 22))  # 00:00 Tuesday
    assert next_open(night, utc(2026, 6, 9, 4)) == utc(2026, 6, 15, 20)


def test_always_open_calendar() -> None:
    at = utc(2026, 3, 28, 12)
    assert is_open(ALWAYS, at)
    assert next_change(ALWAYS, at) is None
    assert next_open(ALWAYS, at) == at
    assert add_business_seconds(ALWAYS, at, 48 * HOUR) == at + 48 * HOUR * 1000  # through the DST change


def test_calendar_without_slots_never_opens() -> None:
    at = utc(2026, 6, 10, 12)
    assert not is_open(NEVER, at)
    assert next_open(NEVER, at) is None
    assert next_change(NEVER, at) is None
    assert business_seconds_between(NEVER, at, at + 86_400_000) == 0
    with pytest.raises(CalendarError) as caught:
        add_business_seconds(NEVER, at, 1)
    assert caught.value.field == "slots"


def test_between_is_negative_when_the_end_comes_first() -> None:
    assert business_seconds_between(LONDON, utc(2026, 6, 11), utc(2026, 6, 10)) == -8 * HOUR


@pytest.mark.parametrize(("build", "field"), [
    (lambda: TimeSlot(7, time(9), time(17)), "weekday"),
    (lambda: TimeSlot(0, time(17), time(9)), "end"),
    (lambda: TimeSlot(0, time(9), time(9)), "end"),
    (lambda: TimeSlot(0, time(9, 0, 0, 5), time(17)), "start"),
    (lambda: make_slots([(0, time(9), time(12)), (1, time(13), time(12))]), "slots.1.end"),
    (lambda: cal("Europe/London", (), name=" "), "name"),
    (lambda: cal("Europe/London", (), name_zh=""), "name_zh"),
    (lambda: cal("Mars/Olympus_Mons", ()), "timezone"),
    (lambda: cal("../etc/passwd", ()), "timezone"),
    (lambda: cal("UTC", weekdays((9, 12), (11, 14))), "slots.1"),
    (lambda: cal("UTC", (), "gb"), "holiday_country"),
    (lambda: cal("UTC", (), "XX"), "holiday_country"),
    (lambda: cal("UTC", (), None, holiday_subdivision="ENG"), "holiday_subdivision"),
    (lambda: cal("UTC", (), "GB", holiday_subdivision="CA"), "holiday_subdivision"),
    (lambda: cal("UTC", (), custom_closed=(date(2026, 1, 2), date(2026, 1, 2))), "custom_closed.1"),
    (lambda: cal("UTC", (), custom_closed=(datetime(2026, 1, 2, tzinfo=UTC),)), "custom_closed.0"),
    (lambda: cal("UTC", (), custom_closed=(date(2026, 1, 2),), custom_open=(date(2026, 1, 2),)), "custom_open.0"),
    (lambda: add_business_seconds(LONDON, 0, -1), "seconds"),
])
def test_invalid_input_names_the_field(build: object, field: str) -> None:
    with pytest.raises(CalendarError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.field == field


def test_error_location_and_labels() -> None:
    with pytest.raises(CalendarError) as caught:
        make_slots([(0, time(9), time(12)), (9, time(13), time(14))])
    assert caught.value.loc == ("slots", 1, "weekday")
    named = Calendar(1, "Support", "UTC", name_en="Support desk", name_zh="客服")
    assert (named.label("zh-Hans"), named.label("en"), NEVER.label("zh-Hans")) == ("客服", "Support desk", "Support")


# Property tests: the span arithmetic agrees with the direct wall-clock check, in every zone shape.
CALENDARS = [LONDON, NEW_YORK, SHANGHAI, LONDON_NIGHT, NEW_YORK_NIGHT,
             cal("Australia/Lord_Howe", weekdays((1, 3), (8, 20), days=range(7)), "AU"),
             # Santiago and Havana change their clocks at midnight, so some local days have no 00:00.
             cal("America/Santiago", make_slots([(5, time(22), time(0)), (6, time(0), time(2))]), "CL"),
             cal("America/Havana", weekdays((0, 1), (23, 24), days=range(7)))]
instants = st.integers(utc(2025, 12, 1), utc(2027, 2, 1))
calendars = st.sampled_from(CALENDARS)


@settings(deadline=None, max_examples=300)
@given(calendars, instants, st.integers(0, 60 * 86_400), st.integers(0, 60 * 86_400))
def test_deadline_round_trip_and_monotone(calendar: Calendar, start: int, first: int, second: int) -> None:
    deadline = add_business_seconds(calendar, start, first)
    assert business_seconds_between(calendar, start, deadline) == first
    assert deadline >= start
    if first:
        assert is_open(calendar, deadline - 1)
    low, high = sorted((first, second))
    assert add_business_seconds(calendar, start, low) <= add_business_seconds(calendar, start, high)


@settings(deadline=None, max_examples=300)
@given(calendars, instants)
def test_open_state_holds_until_the_next_change(calendar: Calendar, at: int) -> None:
    state = is_open(calendar, at)
    assert state == bool(open_spans(calendar, at, at + 1))
    change = next_change(calendar, at)
    assert change is not None and change > at
    assert is_open(calendar, (at + change) // 2) == state
    assert is_open(calendar, change - 1) == state
    assert is_open(calendar, change) != state
    opening = next_open(calendar, at)
    assert opening is not None and is_open(calendar, opening)
    assert business_seconds_between(calendar, at, opening) == 0
