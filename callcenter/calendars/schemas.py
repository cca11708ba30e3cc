"""Request and response models of the calendars API, and the admin form read into the same domain types."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from callcenter.calendars.models import (
    MIDNIGHT,
    NAME_MAX,
    Calendar,
    CalendarError,
    CalendarRecord,
    CalendarStatus,
    TimeSlot,
)

MAX_SLOTS_IN = 100
MAX_DAYS_IN = 400
WEEKDAYS = range(7)

Clock = Annotated[str, Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", examples=["09:00"],
                             description="wall-clock HH:MM; as an end, 00:00 (or 24:00) is midnight")]


def parse_clock(text: str) -> time:
    """``HH:MM`` (or ``24:00``, midnight at the end of the day) as a wall-clock time."""
    return MIDNIGHT if text == "24:00" else time.fromisoformat(text)


def format_clock(value: time) -> str:
    """A wall-clock time as ``HH:MM`` (``HH:MM:SS`` when it has seconds)."""
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


class SlotIn(BaseModel):
    """Open on one weekday from ``start`` to ``end``."""

    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    start: Clock
    end: Clock


class SlotOut(BaseModel):
    """A weekly opening slot; ``end`` 00:00 runs to midnight."""

    weekday: int
    start: str
    end: str


class DayIn(BaseModel):
    """A custom day, optionally named (``Company outing``)."""

    model_config = ConfigDict(extra="forbid")

    date: date
    name: str | None = Field(None, max_length=NAME_MAX)


class DayOut(BaseModel):
    """A custom closed or open day."""

    date: date
    name: str | None


class CalendarIn(BaseModel):
    """A whole calendar, to create one or to replace one."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=NAME_MAX)
    name_en: str | None = Field(None, max_length=NAME_MAX, description="the name shown in English, when it differs")
    name_zh: str | None = Field(None, max_length=NAME_MAX, description="the name shown in Chinese, when it differs")
    timezone: str = Field(min_length=1, max_length=64, examples=["Europe/London"], description="an IANA timezone")
    slots: list[SlotIn] = Field(default_factory=list, max_length=MAX_SLOTS_IN)
    holiday_country: str | None = Field(None, max_length=3, examples=["GB"],
                                        description="ISO code of the country whose public holidays close the calendar")
    holiday_subdivision: str | None = Field(None, max_length=64, examples=["ENG"],
                                            description="a state or region of that country, for its own holidays")
    custom_closed: list[DayIn] = Field(default_factory=list, max_length=MAX_DAYS_IN)
    custom_open: list[DayIn] = Field(default_factory=list, max_length=MAX_DAYS_IN,
                                     description="days open despite a holiday or the weekly slots")

    def to_domain(self) -> tuple[Calendar, dict[date, str]]:
        """The calendar and the names of its custom days; slot errors name ``slots.<index>.<field>``."""
        slots = []
        for index, slot in enumerate(self.slots):
            try:
                slots.append(TimeSlot(slot.weekday, parse_clock(slot.start), parse_clock(slot.end)))
            except CalendarError as err:
                raise err.within(f"slots.{index}") from err
        calendar = Calendar(
            id=0, name=self.name.strip(), timezone=self.timezone.strip(), slots=tuple(slots),
            holiday_country=_blank(self.holiday_country, upper=True),
            holiday_subdivision=_blank(self.holiday_subdivision),
            custom_closed=tuple(d.date for d in self.custom_closed),
            custom_open=tuple(d.date for d in self.custom_open),
            name_en=_blank(self.name_en), name_zh=_blank(self.name_zh),
        )
        names = {d.date: d.name.strip() for d in (*self.custom_closed, *self.custom_open) if d.name and d.name.strip()}
        return calendar, names


def _blank(value: str | None, *, upper: bool = False) -> str | None:
    """An empty or blank optional text means none."""
    if value is None or not value.strip():
        return None
    return value.strip().upper() if upper else value.strip()


class CalendarOut(BaseModel):
    """A calendar with its weekly slots, holidays and custom days."""

    id: int
    name: str
    name_en: str | None
    name_zh: str | None
    timezone: str
    slots: list[SlotOut]
    holiday_country: str | None
    holiday_subdivision: str | None
    custom_closed: list[DayOut]
    custom_open: list[DayOut]
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, record: CalendarRecord) -> CalendarOut:
        """From the domain type."""
        c = record.calendar
        return cls(
            id=c.id, name=c.name, name_en=c.name_en, name_zh=c.name_zh, timezone=c.timezone,
            slots=[SlotOut(weekday=s.weekday, start=format_clock(s.start), end=format_clock(s.end))
                   for s in sorted(c.slots)],
            holiday_country=c.holiday_country, holiday_subdivision=c.holiday_subdivision,
            custom_closed=[DayOut(date=d, name=record.day_name(d)) for d in sorted(c.custom_closed)],
            custom_open=[DayOut(date=d, name=record.day_name(d)) for d in sorted(c.custom_open)],
            created_at=record.created_at, updated_at=record.updated_at,
        )


class StatusQuery(BaseModel):
    """The instant to check; now when omitted."""

    model_config = ConfigDict(extra="forbid")

    at: datetime | None = Field(None, description="ISO 8601; without an offset it is read in the calendar's timezone")


class StatusOut(BaseModel):
    """Whether the calendar is open at ``at`` (epoch ms), when that changes next, and that day's holiday."""

    at: int
    open: bool
    next_change: int | None = Field(description="epoch ms of the next opening or closing, null if none within 400 days")
    holiday: str | None = Field(description="the public holiday of that local day, in the caller's language")

    @classmethod
    def of(cls, status: CalendarStatus) -> StatusOut:
        """From the domain type."""
        return cls(at=status.at_ms, open=status.open, next_change=status.next_change_ms, holiday=status.holiday)


# The admin page's form: one text field of hours per weekday, one date per line for custom days.

_RANGE = re.compile(r"^(\d{1,2}:\d{2})\s*(?:-|–|—|~|to)\s*(\d{1,2}:\d{2})$")
_DAY_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s+(.*))?$")
FORM_TEXT = ("name", "name_en", "name_zh", "timezone", "holiday_country", "holiday_subdivision")


@dataclass(frozen=True)
class CalendarForm:
    """A posted calendar form read into domain types, with where each slot and day came from.

    ``slot_days[i]`` is the weekday field of slot ``i``; ``closed_lines[i]``/``open_lines[i]`` the line
    number of custom day ``i``, so an error the service names by index points back at the form.
    """

    calendar: Calendar
    day_names: dict[date, str]
    slot_days: tuple[int, ...]
    closed_lines: tuple[int, ...]
    open_lines: tuple[int, ...]


def _clock_text(text: str, field: str) -> time:
    hours, _, minutes = text.partition(":")
    try:
        return MIDNIGHT if (int(hours), int(minutes)) == (24, 0) else time(int(hours), int(minutes))
    except ValueError as err:
        raise CalendarError(field, "write hours as 09:00–17:00") from err


def parse_hours(text: str, weekday: int) -> list[tuple[int, time, time]]:
    """``09:00–12:00, 13:00–18:00`` as (weekday, start, end) rows; CalendarError naming ``hours.<weekday>``."""
    rows = []
    field = f"hours.{weekday}"
    for part in re.split(r"[,;\n]", text):
        part = part.strip()
        if not part:
            continue
        found = _RANGE.match(part)
        if found is None:
            raise CalendarError(field, "write hours as 09:00–17:00")
        rows.append((weekday, _clock_text(found.group(1), field), _clock_text(found.group(2), field)))
    return rows


def _days(text: str, field: str, names: dict[date, str]) -> tuple[tuple[date, ...], tuple[int, ...]]:
    days, lines = [], []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        found = _DAY_LINE.match(line)
        try:
            day = date.fromisoformat(found.group(1)) if found else None
        except ValueError:
            day = None
        if found is None or day is None:
            raise CalendarError(f"{field}.{number}", "write one date per line as 2026-12-24, then a name if any")
        if found.group(2) and found.group(2).strip():
            names[day] = found.group(2).strip()
        days.append(day)
        lines.append(number)
    return tuple(days), tuple(lines)


def read_form(form: Mapping[str, str]) -> CalendarForm:
    """The admin page's calendar form; a CalendarError names ``hours.<weekday>`` or ``closed_days.<line>``."""
    rows: list[tuple[int, time, time]] = []
    for weekday in WEEKDAYS:
        rows.extend(parse_hours(form.get(f"hours_{weekday}", ""), weekday))
    slots = []
    for weekday, start, end in rows:
        try:
            slots.append(TimeSlot(weekday, start, end))
        except CalendarError as err:
            raise CalendarError(f"hours.{weekday}", err.message) from err
    names: dict[date, str] = {}
    closed, closed_lines = _days(form.get("closed_days", ""), "closed_days", names)
    opened, open_lines = _days(form.get("open_days", ""), "open_days", names)
    calendar = Calendar(
        id=0, name=form.get("name", "").strip(), timezone=form.get("timezone", "").strip(), slots=tuple(slots),
        holiday_country=_blank(form.get("holiday_country"), upper=True),
        holiday_subdivision=_blank(form.get("holiday_subdivision")),
        custom_closed=closed, custom_open=opened,
        name_en=_blank(form.get("name_en")), name_zh=_blank(form.get("name_zh")),
    )
    return CalendarForm(calendar, names, tuple(s.weekday for s in slots), closed_lines, open_lines)


def form_field(form: CalendarForm | None, loc: tuple[str | int, ...]) -> tuple[str, int | None]:
    """The form field (and weekday or line) behind an error the service named by domain path."""
    head = str(loc[0]) if loc else ""
    index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    if head in ("hours", "closed_days", "open_days"):
        return head, index
    if form is not None and index is not None:
        if head == "slots" and index < len(form.slot_days):
            return "hours", form.slot_days[index]
        if head == "custom_closed" and index < len(form.closed_lines):
            return "closed_days", form.closed_lines[index]
        if head == "custom_open" and index < len(form.open_lines):
            return "open_days", form.open_lines[index]
    return head, None


def form_values(record: CalendarRecord | None) -> dict[str, str]:
    """The form's fields filled from a stored calendar (empty for a new one)."""
    if record is None:
        return {}
    c = record.calendar
    values = {name: getattr(c, name) or "" for name in FORM_TEXT}
    for weekday in WEEKDAYS:
        values[f"hours_{weekday}"] = ", ".join(
            f"{format_clock(s.start)}–{format_clock(s.end)}" for s in sorted(c.slots) if s.weekday == weekday)
    for field, days in (("closed_days", c.custom_closed), ("open_days", c.custom_open)):
        values[field] = "\n".join(f"{d.isoformat()} {record.day_name(d) or ''}".rstrip() for d in sorted(days))
    return values
