"""Calendars: admin changes (validated, audited), status checks and the days ahead that differ from the week."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from callcenter.accounts.models import Actor
from callcenter.audit.service import record
from callcenter.calendars import store
from callcenter.calendars.hours import holiday_name, is_open, next_change, supported_holiday_regions
from callcenter.calendars.models import (
    NAME_MAX,
    Calendar,
    CalendarError,
    CalendarRecord,
    CalendarStatus,
    DayNote,
    validate_calendar,
)
from callcenter.clock import Clock, to_ms
from callcenter.db import Database
from callcenter.errors import Conflict, FieldError, Invalid, NotFound, field_error

MAX_SLOTS = 100
MAX_DAYS = 400
UPCOMING_DAYS = 60


def invalid(err: CalendarError) -> Invalid:
    """A calendar rule broken, as the domain error that names its field."""
    return Invalid(err.message, [FieldError(err.loc, err.message)])


def canonical_subdivision(country: str | None, subdivision: str | None) -> str | None:
    """The holidays package's own spelling of a subdivision typed in any case (``eng`` → ``ENG``)."""
    if country is None or subdivision is None:
        return subdivision
    known = supported_holiday_regions().get(country, ())
    matches = [code for code in known if code.casefold() == subdivision.casefold()]
    return matches[0] if len(matches) == 1 else subdivision


def check(calendar: Calendar, day_names: Mapping[date, str]) -> Calendar:
    """The calendar when sound, else Invalid naming the field (``slots.2.end``, ``custom_closed.0.name``)."""
    if len(calendar.slots) > MAX_SLOTS:
        raise Invalid("too many slots", field_error("slots", f"at most {MAX_SLOTS} time slots"))
    for field in ("custom_closed", "custom_open"):
        if len(getattr(calendar, field)) > MAX_DAYS:
            raise Invalid("too many days", field_error(field, f"at most {MAX_DAYS} days"))
    calendar = replace(calendar, holiday_subdivision=canonical_subdivision(calendar.holiday_country,
                                                                           calendar.holiday_subdivision))
    try:
        validate_calendar(calendar, supported_holiday_regions())
    except CalendarError as err:
        raise invalid(err) from err
    for field in ("custom_closed", "custom_open"):
        for index, day in enumerate(getattr(calendar, field)):
            name = day_names.get(day)
            if name is not None and not 1 <= len(name) <= NAME_MAX:
                raise invalid(CalendarError(f"{field}.{index}.name", f"1–{NAME_MAX} characters"))
    return calendar


def local_day(calendar: Calendar, at_ms: int) -> date:
    """The date the calendar's wall clock shows at an instant."""
    return datetime.fromtimestamp(at_ms // 1000, ZoneInfo(calendar.timezone)).date()


def status_at(calendar: Calendar, at_ms: int, language: str) -> CalendarStatus:
    """Open or closed at an instant, the next change, and that local day's public holiday."""
    return CalendarStatus(at_ms, is_open(calendar, at_ms), next_change(calendar, at_ms),
                          holiday_name(calendar, local_day(calendar, at_ms), language))


def upcoming(record: CalendarRecord, from_ms: int, language: str, days: int = UPCOMING_DAYS) -> list[DayNote]:
    """Public holidays and custom days from the local day of ``from_ms`` on, for ``days`` days."""
    calendar = record.calendar
    closed, opened = set(calendar.custom_closed), set(calendar.custom_open)
    first = local_day(calendar, from_ms)
    notes = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        holiday = holiday_name(calendar, day, language)
        if day in closed:
            notes.append(DayNote(day, "closed", record.day_name(day) or holiday, False))
        elif holiday is not None:
            notes.append(DayNote(day, "holiday", holiday, day in opened))
        elif day in opened:
            notes.append(DayNote(day, "open", record.day_name(day), True))
    return notes


class CalendarService:
    """Owns calendars; tells ``on_change`` listeners (route caches) after each committed change."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.on_change: list[Callable[[], None]] = []

    async def list_calendars(self, *, after_id: int = 0, limit: int = 50) -> list[CalendarRecord]:
        """Calendars by id with their slots and days, one page."""
        async with self.db.read() as conn:
            return await store.list_calendars(conn, after_id=after_id, limit=limit)

    async def get(self, calendar_id: int) -> CalendarRecord:
        """One calendar, or NotFound."""
        async with self.db.read() as conn:
            found = await store.get_calendar(conn, calendar_id)
        if found is None:
            raise NotFound("no such calendar")
        return found

    async def create(self, actor: Actor, calendar: Calendar, day_names: Mapping[date, str] | None = None
                     ) -> CalendarRecord:
        """Add a calendar (its ``id`` is ignored); a name in use is a Conflict naming ``name``."""
        names = dict(day_names or {})
        calendar = check(calendar, names)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            new_id = await store.insert_calendar(conn, calendar, names, now)
            if new_id is None:
                raise Conflict("calendar name taken", field_error("name", "another calendar has this name"))
            await record(conn, now, actor, "calendar.create", "calendar", new_id, name=calendar.name,
                         timezone=calendar.timezone)
            created = await store.get_calendar(conn, new_id)
        assert created is not None
        return created

    async def update(self, actor: Actor, calendar_id: int, calendar: Calendar,
                     day_names: Mapping[date, str] | None = None) -> CalendarRecord:
        """Replace a calendar's names, zone, holidays, slots and custom days."""
        names = dict(day_names or {})
        calendar = check(replace(calendar, id=calendar_id), names)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            current = await store.get_calendar(conn, calendar_id)
            if current is None:
                raise NotFound("no such calendar")
            if await store.name_taken(conn, calendar.name, calendar_id):
                raise Conflict("calendar name taken", field_error("name", "another calendar has this name"))
            await store.update_calendar(conn, calendar_id, calendar, names, now)
            await record(conn, now, actor, "calendar.update", "calendar", calendar_id, name=calendar.name,
                         timezone=calendar.timezone, slots=len(calendar.slots),
                         holiday_country=calendar.holiday_country, custom_closed=len(calendar.custom_closed),
                         custom_open=len(calendar.custom_open))
            updated = await store.get_calendar(conn, calendar_id)
        assert updated is not None
        self._changed()
        return updated

    async def delete(self, actor: Actor, calendar_id: int) -> None:
        """Remove a calendar; a Conflict naming the dialled numbers that still use it."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            current = await store.get_calendar(conn, calendar_id)
            if current is None:
                raise NotFound("no such calendar")
            users = await store.numbers_using(conn, calendar_id)
            if users:
                shown = [f"{number} ({label})" if label else number for number, label in users]
                raise Conflict(f"the calendar is the opening hours of {', '.join(shown)}; give "
                               f"{'it' if len(shown) == 1 else 'them'} other hours first",
                               [FieldError(("numbers", index), text) for index, text in enumerate(shown)])
            await store.delete_calendar(conn, calendar_id)
            await record(conn, now, actor, "calendar.delete", "calendar", calendar_id, name=current.calendar.name)
        self._changed()

    async def status(self, calendar_id: int, at: datetime | None, language: str) -> CalendarStatus:
        """Open or closed at ``at`` (now when None; a time without offset is read in the calendar's zone)."""
        calendar = (await self.get(calendar_id)).calendar
        if at is None:
            at_ms = self.clock.now_ms()
        else:
            aware = at if at.tzinfo is not None else at.replace(tzinfo=ZoneInfo(calendar.timezone))
            at_ms = to_ms(aware)
        return status_at(calendar, at_ms, language)

    def _changed(self) -> None:
        for listener in self.on_change:
            listener()
