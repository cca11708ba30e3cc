"""SQL for timers: arm, disarm, claim what is due under a lease, finish."""

from __future__ import annotations

from typing import Any

import orjson

from callcenter.db import Conn, Row
from callcenter.timers.models import Timer


def _timer(row: Row) -> Timer:
    return Timer(row["id"], row["kind"], row["key"], row["due_at"], orjson.loads(row["payload"]), row["attempts"])


async def arm(conn: Conn, kind: str, key: str, due_at: int, payload: dict[str, Any], now: int) -> None:
    """Set ``(kind, key)`` to fire at ``due_at``; an armed one moves there and loses any claim."""
    await conn.execute(
        "INSERT INTO timers (kind, key, due_at, payload, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at, payload = excluded.payload,"
        " claimed_by = NULL, claimed_until = NULL, attempts = 0",
        (kind, key, due_at, orjson.dumps(payload).decode(), now),
    )


async def arm_if_absent(conn: Conn, kind: str, key: str, due_at: int, payload: dict[str, Any], now: int) -> bool:
    """Arm ``(kind, key)`` unless it already is (every node does this at start; one row results)."""
    changed = await conn.execute(
        "INSERT INTO timers (kind, key, due_at, payload, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (kind, key) DO NOTHING",
        (kind, key, due_at, orjson.dumps(payload).decode(), now),
    )
    return changed == 1


async def disarm(conn: Conn, kind: str, key: str) -> bool:
    """Cancel ``(kind, key)``; False when it was not armed."""
    return await conn.execute("DELETE FROM timers WHERE kind = ? AND key = ?", (kind, key)) == 1


async def claim_due(conn: Conn, now: int, node: str, lease_ms: int, limit: int) -> list[Timer]:
    """Claim up to ``limit`` due timers nobody holds a live lease on, earliest first.

    The outer condition is checked again on the row a concurrent claimer may have just changed,
    so two nodes never hold one timer; on PostgreSQL ``SKIP LOCKED`` also lets them claim
    different rows without waiting for each other.
    """
    lock = " FOR UPDATE SKIP LOCKED" if conn.dialect == "postgresql" else ""
    free = "(claimed_until IS NULL OR claimed_until < ?)"
    rows = await conn.fetchall(
        f"UPDATE timers SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1"
        f" WHERE id IN (SELECT id FROM timers WHERE due_at <= ? AND {free} ORDER BY due_at, id LIMIT ?{lock})"
        f" AND due_at <= ? AND {free}"
        " RETURNING id, kind, key, due_at, payload, attempts",
        (node, now + lease_ms, now, now, limit, now, now),
    )
    return sorted((_timer(r) for r in rows), key=lambda t: (t.due_at, t.id))


async def finish(conn: Conn, timer: Timer, node: str) -> bool:
    """Delete a timer this node ran; False when it was re-armed or taken over meanwhile (then it stays)."""
    changed = await conn.execute(
        "DELETE FROM timers WHERE id = ? AND claimed_by = ? AND due_at = ? AND attempts = ?",
        (timer.id, node, timer.due_at, timer.attempts),
    )
    return changed == 1


async def release(conn: Conn, timer: Timer, node: str, retry_at: int) -> None:
    """Give a failed timer back, due again at ``retry_at``."""
    await conn.execute(
        "UPDATE timers SET claimed_by = NULL, claimed_until = NULL, due_at = ? WHERE id = ? AND claimed_by = ?",
        (retry_at, timer.id, node),
    )


async def next_due(conn: Conn) -> int | None:
    """When the earliest timer is due."""
    value = await conn.fetchval("SELECT MIN(due_at) FROM timers")
    return None if value is None else int(value)


async def get(conn: Conn, kind: str, key: str) -> Timer | None:
    """One armed timer."""
    row = await conn.fetchone("SELECT id, kind, key, due_at, payload, attempts FROM timers WHERE kind = ? AND key = ?",
                              (kind, key))
    return None if row is None else _timer(row)
