"""SQL for opening-hours calendars: the calendar row, its weekly slots and its custom days."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, time

from callcenter.calendars.models import DAY_S, MIDNIGHT, Calendar, CalendarRecord, TimeSlot
from callcenter.db import Conn, Row

_COLS = "id, name, name_en, name_zh, timezone, holiday_country, holiday_subdivision, created_at, updated_at"


def _time(seconds: int) -> time:
    return MIDNIGHT if seconds == DAY_S else time(seconds // 3600, seconds % 3600 // 60, seconds % 60)


def _record(row: Row, slots: Sequence[Row], days: Sequence[Row]) -> CalendarRecord:
    calendar = Calendar(
        id=row["id"],
        name=row["name"],
        timezone=row["timezone"],
        slots=tuple(TimeSlot(s["weekday"], _time(s["start_s"]), _time(s["end_s"])) for s in slots),
        holiday_country=row["holiday_country"],
        holiday_subdivision=row["holiday_subdivision"],
        custom_closed=tuple(date.fromisoformat(d["day"]) for d in days if d["kind"] == "closed"),
        custom_open=tuple(date.fromisoformat(d["day"]) for d in days if d["kind"] == "open"),
        name_en=row["name_en"],
        name_zh=row["name_zh"],
    )
    names = tuple((date.fromisoformat(d["day"]), d["name"]) for d in days if d["name"])
    return CalendarRecord(calendar, names, row["created_at"], row["updated_at"])


async def _records(conn: Conn, rows: list[Row]) -> list[CalendarRecord]:
    """Calendars with their slots and days, read in two queries for the whole page."""
    if not rows:
        return []
    ids = tuple(r["id"] for r in rows)
    marks = ", ".join("?" for _ in ids)
    slots: dict[int, list[Row]] = {i: [] for i in ids}
    days: dict[int, list[Row]] = {i: [] for i in ids}
    for s in await conn.fetchall(
        f"SELECT calendar_id, weekday, start_s, end_s FROM calendar_slots WHERE calendar_id IN ({marks})"
        " ORDER BY calendar_id, weekday, start_s", ids,
    ):
        slots[s["calendar_id"]].append(s)
    for d in await conn.fetchall(
        f"SELECT calendar_id, day, kind, name FROM calendar_days WHERE calendar_id IN ({marks})"
        " ORDER BY calendar_id, day", ids,
    ):
        days[d["calendar_id"]].append(d)
    return [_record(r, slots[r["id"]], days[r["id"]]) for r in rows]


async def get_calendar(conn: Conn, calendar_id: int) -> CalendarRecord | None:
    """One calendar with its slots and days."""
    row = await conn.fetchone(f"SELECT {_COLS} FROM calendars WHERE id = ?", (calendar_id,))
    if row is None:
        return None
    [record] = await _records(conn, [row])
    return record


async def load_calendar(conn: Conn, calendar_id: int) -> Calendar | None:
    """The calendar alone, as opening-hours arithmetic takes it (for routing)."""
    record = await get_calendar(conn, calendar_id)
    return None if record is None else record.calendar


async def list_calendars(conn: Conn, *, after_id: int, limit: int) -> list[CalendarRecord]:
    """Calendars ordered by id, after a keyset cursor."""
    rows = await conn.fetchall(f"SELECT {_COLS} FROM calendars WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit))
    return await _records(conn, rows)


async def insert_calendar(conn: Conn, calendar: Calendar, day_names: Mapping[date, str], now: int) -> int | None:
    """Insert a calendar with its slots and days; None when the name is taken."""
    new_id = await conn.fetchval(
        "INSERT INTO calendars (name, name_en, name_zh, timezone, holiday_country, holiday_subdivision,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id",
        (calendar.name, calendar.name_en, calendar.name_zh, calendar.timezone, calendar.holiday_country,
         calendar.holiday_subdivision, now, now),
    )
    if new_id is None:
        return None
    await _write_rules(conn, new_id, calendar, day_names)
    return int(new_id)


async def update_calendar(conn: Conn, calendar_id: int, calendar: Calendar, day_names: Mapping[date, str],
                          now: int) -> bool:
    """Replace a calendar's names, zone, holidays, slots and days; False when there is no such calendar."""
    changed = await conn.execute(
        "UPDATE calendars SET name = ?, name_en = ?, name_zh = ?, timezone = ?, holiday_country = ?,"
        " holiday_subdivision = ?, updated_at = ? WHERE id = ?",
        (calendar.name, calendar.name_en, calendar.name_zh, calendar.timezone, calendar.holiday_country,
         calendar.holiday_subdivision, now, calendar_id),
    )
    if changed != 1:
        return False
    await conn.execute("DELETE FROM calendar_slots WHERE calendar_id = ?", (calendar_id,))
    await conn.execute("DELETE FROM calendar_days WHERE calendar_id = ?", (calendar_id,))
    await _write_rules(conn, calendar_id, calendar, day_names)
    return True


async def _write_rules(conn: Conn, calendar_id: int, calendar: Calendar, day_names: Mapping[date, str]) -> None:
    await conn.executemany(
        "INSERT INTO calendar_slots (calendar_id, weekday, start_s, end_s) VALUES (?, ?, ?, ?)",
        [(calendar_id, s.weekday, s.start_s, s.end_s) for s in sorted(calendar.slots)],
    )
    days = [(d, "closed") for d in calendar.custom_closed] + [(d, "open") for d in calendar.custom_open]
    await conn.executemany(
        "INSERT INTO calendar_days (calendar_id, day, kind, name) VALUES (?, ?, ?, ?)",
        [(calendar_id, d.isoformat(), kind, day_names.get(d)) for d, kind in sorted(days)],
    )


async def name_taken(conn: Conn, name: str, other_than: int) -> bool:
    """True when another calendar already has this name."""
    return await conn.fetchval("SELECT id FROM calendars WHERE name = ? AND id <> ?", (name, other_than)) is not None


async def numbers_using(conn: Conn, calendar_id: int) -> list[tuple[str, str | None]]:
    """The dialled numbers (E.164, label) whose opening hours are this calendar."""
    rows = await conn.fetchall("SELECT number, label FROM numbers WHERE calendar_id = ? ORDER BY number",
                               (calendar_id,))
    return [(r["number"], r["label"]) for r in rows]


async def delete_calendar(conn: Conn, calendar_id: int) -> bool:
    """Delete a calendar (its slots and days go with it); False when there is no such calendar."""
    return await conn.execute("DELETE FROM calendars WHERE id = ?", (calendar_id,)) == 1
