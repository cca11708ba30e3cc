"""Domain types of opening-hours calendars: weekly wall-clock slots, a timezone, holidays and exceptions."""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIDNIGHT = time(0)
DAY_S = 86_400
NAME_MAX = 100

_COUNTRY = re.compile(r"^[A-Z]{2,3}$")


class CalendarError(ValueError):
    """A calendar input breaks a rule; ``field`` names it as a dotted path such as ``slots.2.end``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    @property
    def loc(self) -> tuple[str | int, ...]:
        """The field as an error body's ``loc``: numeric parts become list indexes."""
        return tuple(int(part) if part.isdigit() else part for part in self.field.split("."))

    def within(self, prefix: str) -> CalendarError:
        """The same error for a field nested under ``prefix``."""
        return CalendarError(f"{prefix}.{self.field}", self.message)


@dataclass(frozen=True, order=True)
class TimeSlot:
    """Open on one weekday (0 = Monday) from ``start`` to ``end`` wall-clock time; ``end`` 00:00 is midnight."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        # bool is an int, but True as a weekday is a type mix-up, not Tuesday.
        if isinstance(self.weekday, bool) or not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise CalendarError("weekday", "must be 0 (Monday) to 6 (Sunday)")
        for name, value in (("start", self.start), ("end", self.end)):
            if not isinstance(value, time):
                raise CalendarError(name, "must be a time of day")
            if value.tzinfo is not None:
                raise CalendarError(name, "must be a wall-clock time without a timezone")
            if value.microsecond:
                # Whole seconds keep every open/close boundary on a whole UTC second.
                raise CalendarError(name, "must be a whole number of seconds")
        if self.end != MIDNIGHT and self.end <= self.start:
            raise CalendarError("end", "must be after start (00:00 means midnight)")

    @property
    def start_s(self) -> int:
        """Seconds after local midnight at which the slot opens."""
        return _seconds(self.start)

    @property
    def end_s(self) -> int:
        """Seconds after local midnight at which the slot closes; 86400 when it runs to midnight."""
        return DAY_S if self.end == MIDNIGHT else _seconds(self.end)


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


@dataclass(frozen=True)
class Calendar:
    """When a queue or an SLA clock runs: weekly slots in a timezone, minus holidays, with exceptions.

    ``holiday_country`` is an ISO code the ``holidays`` package knows (``CN``, ``GB``, ``US``, ``DE``);
    ``custom_closed`` adds closed days; ``custom_open`` opens days despite a public holiday or the
    weekly slots (China's adjusted working Saturdays).
    """

    id: int
    name: str
    timezone: str
    slots: tuple[TimeSlot, ...] = ()
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    custom_closed: tuple[date, ...] = ()
    custom_open: tuple[date, ...] = ()
    name_en: str | None = None
    name_zh: str | None = None

    def label(self, language: str) -> str:
        """The calendar's name for a UI language (``en``, ``zh-Hans``), falling back to ``name``."""
        localized = self.name_zh if language.lower().startswith("zh") else self.name_en
        return localized or self.name


def make_slots(rows: Iterable[tuple[int, time, time]]) -> tuple[TimeSlot, ...]:
    """Build slots from (weekday, start, end) rows; an error names the row as ``slots.<index>.<field>``."""
    slots = []
    for index, (weekday, start, end) in enumerate(rows):
        try:
            slots.append(TimeSlot(weekday, start, end))
        except CalendarError as err:
            raise err.within(f"slots.{index}") from err
    return tuple(slots)


def validate_calendar(calendar: Calendar, holiday_regions: Mapping[str, Collection[str]] | None = None) -> Calendar:
    """Return the calendar when it is sound, else raise the first CalendarError naming the field.

    ``holiday_regions`` maps each supported country to its subdivisions (``hours.supported_holiday_regions()``);
    without it the country is only checked for shape.
    """
    _check_name("name", calendar.name, required=True)
    _check_name("name_en", calendar.name_en, required=False)
    _check_name("name_zh", calendar.name_zh, required=False)
    _check_timezone(calendar.timezone)
    _check_slots(calendar.slots)
    _check_holidays(calendar.holiday_country, calendar.holiday_subdivision, holiday_regions)
    closed = _check_days("custom_closed", calendar.custom_closed)
    for index, day in enumerate(calendar.custom_open):
        if day in closed:
            raise CalendarError(f"custom_open.{index}", f"{day.isoformat()} is also a custom closed day")
    _check_days("custom_open", calendar.custom_open)
    return calendar


def _check_name(field: str, value: str | None, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        raise CalendarError(field, "must not be empty")
    if len(value) > NAME_MAX:
        raise CalendarError(field, f"must be at most {NAME_MAX} characters")


def _check_timezone(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise CalendarError("timezone", "must be an IANA timezone name such as Europe/London")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise CalendarError("timezone", f"unknown IANA timezone {name!r}") from err


def _check_slots(slots: tuple[TimeSlot, ...]) -> None:
    for index, slot in enumerate(slots):
        if not isinstance(slot, TimeSlot):
            raise CalendarError(f"slots.{index}", "must be a time slot")
    # Overlaps are refused rather than merged: two slots covering the same hour are an editing mistake.
    ordered = sorted(range(len(slots)), key=lambda i: (slots[i].weekday, slots[i].start_s))
    for before, after in itertools.pairwise(ordered):
        first, second = slots[before], slots[after]
        if first.weekday == second.weekday and second.start_s < first.end_s:
            raise CalendarError(f"slots.{after}", "overlaps another slot on the same day")


def _check_holidays(country: str | None, subdivision: str | None,
                    regions: Mapping[str, Collection[str]] | None) -> None:
    if country is None:
        if subdivision is not None:
            raise CalendarError("holiday_subdivision", "needs a holiday country")
        return
    if not isinstance(country, str) or not _COUNTRY.match(country):
        raise CalendarError("holiday_country", "must be an upper-case ISO 3166 country code such as GB")
    if regions is not None and country not in regions:
        raise CalendarError("holiday_country", f"no public holidays are known for {country}")
    if subdivision is None:
        return
    if not isinstance(subdivision, str) or not subdivision.strip():
        raise CalendarError("holiday_subdivision", "must not be empty")
    if regions is not None and subdivision not in regions[country]:
        raise CalendarError("holiday_subdivision", f"{subdivision} is not a subdivision of {country}")


def _check_days(field: str, days: tuple[date, ...]) -> set[date]:
    seen: set[date] = set()
    for index, day in enumerate(days):
        # datetime is a date subclass; a time of day here would silently be ignored.
        if not isinstance(day, date) or isinstance(day, datetime):
            raise CalendarError(f"{field}.{index}", "must be a date")
        if day in seen:
            raise CalendarError(f"{field}.{index}", f"{day.isoformat()} is listed twice")
        seen.add(day)
    return seen


@dataclass(frozen=True)
class CalendarRecord:
    """A stored calendar: its rules, the names of its custom days, and when it was written."""

    calendar: Calendar
    day_names: tuple[tuple[date, str], ...] = ()
    created_at: int = 0
    updated_at: int = 0

    def day_name(self, day: date) -> str | None:
        """The name given to a custom closed or open day (``Company outing``), if any."""
        return next((name for named, name in self.day_names if named == day), None)


@dataclass(frozen=True)
class CalendarStatus:
    """Whether a calendar is open at an instant, when that changes, and the public holiday of that day."""

    at_ms: int
    open: bool
    next_change_ms: int | None
    holiday: str | None


@dataclass(frozen=True)
class DayNote:
    """A day that differs from the weekly hours: a public holiday, a custom closed day or a custom open day.

    ``kind`` is ``holiday``, ``closed`` or ``open``; ``opens`` says whether the calendar opens that day.
    """

    day: date
    kind: str
    name: str | None
    opens: bool
