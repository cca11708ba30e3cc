"""SQL for the push log and per-user sequence numbers."""

from __future__ import annotations

from typing import Any

import orjson

from callcenter.console.models import Push
from callcenter.db import Conn, lock_key


async def insert_push(conn: Conn, user_id: int, event: str, payload: dict[str, Any], at: int) -> int:
    """Store a user's next push, numbered one above their newest, so it can be replayed; return its number.

    A user's newest push is never pruned, so their numbers never go back. Writers pushing to one
    user take turns from here to their commit (on PostgreSQL, where they would otherwise read the
    same newest number), so the numbers have no gaps.
    """
    await lock_key(conn, f"pushes {user_id}")
    value = await conn.fetchval(
        "INSERT INTO pushes (user_id, seq, event, payload, created_at)"
        " SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ? FROM pushes WHERE user_id = ? RETURNING seq",
        (user_id, event, orjson.dumps(payload).decode(), at, user_id),
    )
    return int(value)


async def current_seq(conn: Conn, user_id: int) -> int:
    """The last number given to a user (0 before any)."""
    return int(await conn.fetchval("SELECT MAX(seq) FROM pushes WHERE user_id = ?", (user_id,)) or 0)


async def list_pushes_after(conn: Conn, user_id: int, since: int, limit: int) -> list[Push]:
    """A user's pushes numbered above ``since``, in order."""
    rows = await conn.fetchall(
        "SELECT user_id, seq, event, payload, created_at FROM pushes WHERE user_id = ? AND seq > ?"
        " ORDER BY seq LIMIT ?",
        (user_id, since, limit),
    )
    return [Push(r["user_id"], r["seq"], r["event"], orjson.loads(r["payload"]), r["created_at"]) for r in rows]


async def oldest_seq(conn: Conn, user_id: int) -> int | None:
    """The lowest number still kept for a user."""
    value = await conn.fetchval("SELECT MIN(seq) FROM pushes WHERE user_id = ?", (user_id,))
    return None if value is None else int(value)


async def delete_pushes_before(conn: Conn, before: int) -> int:
    """Forget pushes older than the replay window, except each user's newest (it carries their number)."""
    return await conn.execute(
        "DELETE FROM pushes WHERE created_at < ?"
        " AND seq < (SELECT MAX(newest.seq) FROM pushes newest WHERE newest.user_id = pushes.user_id)",
        (before,),
    )
