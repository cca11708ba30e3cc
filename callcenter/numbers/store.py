"""SQL for dialled numbers, the queue keys and calendars they point at, and the route routing reads."""

from __future__ import annotations

from callcenter.calendars.store import load_calendar
from callcenter.db import Conn, Row
from callcenter.numbers.models import ClosedAction, DialledNumber, NumberRoute

_COLS = (
    "n.id, n.number, n.label, n.region, n.calendar_id, n.closed_action, n.closed_message, n.created_at,"
    " n.updated_at, q.key AS queue_key, q.name AS queue_name, c.name AS calendar_name"
)
_FROM = "numbers n JOIN queues q ON q.id = n.queue_id LEFT JOIN calendars c ON c.id = n.calendar_id"


def _number(row: Row) -> DialledNumber:
    return DialledNumber(
        id=row["id"],
        number=row["number"],
        label=row["label"],
        queue_key=row["queue_key"],
        queue_name=row["queue_name"],
        region=row["region"],
        calendar_id=row["calendar_id"],
        calendar_name=row["calendar_name"],
        closed_action=ClosedAction(row["closed_action"]),
        closed_message=row["closed_message"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def route_for(conn: Conn, number: str) -> NumberRoute | None:
    """The route of a dialled number given in E.164, with its calendar fully loaded; None when it is not ours."""
    row = await conn.fetchone(
        "SELECT n.id, n.number, n.label, n.region, n.calendar_id, n.closed_action, n.closed_message,"
        " q.key AS queue_key FROM numbers n JOIN queues q ON q.id = n.queue_id WHERE n.number = ?",
        (number,),
    )
    if row is None:
        return None
    calendar = None if row["calendar_id"] is None else await load_calendar(conn, row["calendar_id"])
    return NumberRoute(
        number_id=row["id"],
        number=row["number"],
        label=row["label"],
        queue_key=row["queue_key"],
        region=row["region"],
        calendar=calendar,
        closed_action=row["closed_action"],
        closed_message=row["closed_message"],
    )


async def get_number(conn: Conn, number_id: int) -> DialledNumber | None:
    """One number by id, with its queue's key and name and its calendar's name."""
    row = await conn.fetchone(f"SELECT {_COLS} FROM {_FROM} WHERE n.id = ?", (number_id,))
    return None if row is None else _number(row)


async def list_numbers(conn: Conn, *, after_id: int, limit: int) -> list[DialledNumber]:
    """Numbers ordered by id, after a keyset cursor."""
    rows = await conn.fetchall(f"SELECT {_COLS} FROM {_FROM} WHERE n.id > ? ORDER BY n.id LIMIT ?", (after_id, limit))
    return [_number(r) for r in rows]


async def insert_number(conn: Conn, number: str, label: str | None, queue_id: int, region: str,
                        calendar_id: int | None, closed_action: str, closed_message: str | None,
                        now: int) -> int | None:
    """Insert a number; None when it is already stored."""
    found = await conn.fetchval(
        "INSERT INTO numbers (number, label, queue_id, region, calendar_id, closed_action, closed_message,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (number) DO NOTHING RETURNING id",
        (number, label, queue_id, region, calendar_id, closed_action, closed_message, now, now),
    )
    return None if found is None else int(found)


async def update_number(conn: Conn, number_id: int, number: str, label: str | None, queue_id: int, region: str,
                        calendar_id: int | None, closed_action: str, closed_message: str | None, now: int) -> bool:
    """Rewrite a number; False when there is no such number."""
    changed = await conn.execute(
        "UPDATE numbers SET number = ?, label = ?, queue_id = ?, region = ?, calendar_id = ?, closed_action = ?,"
        " closed_message = ?, updated_at = ? WHERE id = ?",
        (number, label, queue_id, region, calendar_id, closed_action, closed_message, now, number_id),
    )
    return changed == 1


async def number_taken(conn: Conn, number: str, other_than: int) -> bool:
    """True when another row already holds this E.164 number."""
    return await conn.fetchval("SELECT id FROM numbers WHERE number = ? AND id <> ?", (number, other_than)) is not None


async def delete_number(conn: Conn, number_id: int) -> bool:
    """Delete a number (calls made to it keep their history); False when there is no such number."""
    return await conn.execute("DELETE FROM numbers WHERE id = ?", (number_id,)) == 1


async def queue_id(conn: Conn, key: str) -> int | None:
    """The id of the queue with this key."""
    found = await conn.fetchval("SELECT id FROM queues WHERE key = ?", (key,))
    return None if found is None else int(found)


async def calendar_exists(conn: Conn, calendar_id: int) -> bool:
    """True when there is a calendar with this id."""
    return await conn.fetchval("SELECT id FROM calendars WHERE id = ?", (calendar_id,)) is not None


async def queue_choices(conn: Conn) -> list[tuple[str, str]]:
    """(key, name) of every queue, by key, for the admin page's choice."""
    rows = await conn.fetchall("SELECT key, name FROM queues ORDER BY key")
    return [(r["key"], r["name"]) for r in rows]


async def calendar_choices(conn: Conn) -> list[tuple[int, str]]:
    """(id, name) of every calendar, by name, for the admin page's choice."""
    rows = await conn.fetchall("SELECT id, name FROM calendars ORDER BY name")
    return [(r["id"], r["name"]) for r in rows]
