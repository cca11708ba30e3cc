"""SQL for the push log and per-user sequence numbers."""

from __future__ import annotations

import orjson

from callcenter.console.models import Push
from callcenter.db import Conn


async def next_seq(conn: Conn, user_id: int) -> int:
    """Take the next number of a user's sequence (the row lock makes it gap-free across nodes)."""
    value = await conn.fetchval(
        "INSERT INTO push_seq (user_id, seq) VALUES (?, 1)"
        " ON CONFLICT (user_id) DO UPDATE SET seq = push_seq.seq + 1 RETURNING seq",
        (user_id,),
    )
    return int(value)


async def insert_push(conn: Conn, push: Push) -> None:
    """Store a push so it can be replayed."""
    await conn.execute(
        "INSERT INTO pushes (user_id, seq, event, payload, created_at) VALUES (?, ?, ?, ?, ?)",
        (push.user_id, push.seq, push.event, orjson.dumps(push.payload).decode(), push.at),
    )


async def current_seq(conn: Conn, user_id: int) -> int:
    """The last number given to a user (0 before any)."""
    return int(await conn.fetchval("SELECT seq FROM push_seq WHERE user_id = ?", (user_id,)) or 0)


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
    """Forget pushes older than the replay window."""
    return await conn.execute("DELETE FROM pushes WHERE created_at < ?", (before,))
