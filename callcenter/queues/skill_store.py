"""SQL for skills and for the set of skills an agent holds."""

from __future__ import annotations

from collections.abc import Sequence

from callcenter.db import Conn, Row
from callcenter.queues.models import Skill

_SELECT = (
    "SELECT k.id, k.name, k.name_zh, k.created_at, k.updated_at,"
    " (SELECT COUNT(*) FROM agent_skills a WHERE a.skill_id = k.id) AS agent_count,"
    " (SELECT COUNT(*) FROM queue_skills q WHERE q.skill_id = k.id) AS queue_count"
    " FROM skills k"
)


def _skill(row: Row) -> Skill:
    return Skill(id=row["id"], name=row["name"], name_zh=row["name_zh"], agent_count=row["agent_count"],
                 queue_count=row["queue_count"], created_at=row["created_at"], updated_at=row["updated_at"])


async def insert_skill(conn: Conn, name: str, name_zh: str | None, now: int) -> Skill | None:
    """Insert a skill; None when the name is taken."""
    row = await conn.fetchone(
        "INSERT INTO skills (name, name_zh, created_at, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (name) DO NOTHING RETURNING id, name, name_zh, created_at, updated_at",
        (name, name_zh, now, now),
    )
    return None if row is None else _skill({**row, "agent_count": 0, "queue_count": 0})


async def get_skill(conn: Conn, skill_id: int) -> Skill | None:
    """One skill by id, with how many agents hold it and how many queues want it."""
    row = await conn.fetchone(_SELECT + " WHERE k.id = ?", (skill_id,))
    return None if row is None else _skill(row)


async def list_skills(conn: Conn, *, after_id: int, limit: int) -> list[Skill]:
    """Skills ordered by id, after a keyset cursor."""
    rows = await conn.fetchall(_SELECT + " WHERE k.id > ? ORDER BY k.id LIMIT ?", (after_id, limit))
    return [_skill(r) for r in rows]


async def all_skills(conn: Conn) -> list[Skill]:
    """Every skill ordered by name: what references to skills are looked up in, and what forms offer."""
    rows = await conn.fetchall(_SELECT + " ORDER BY k.name, k.id")
    return [_skill(r) for r in rows]


async def name_taken(conn: Conn, name: str, other_than: int) -> bool:
    """True when another skill has this name, in any letter case."""
    found = await conn.fetchval("SELECT id FROM skills WHERE lower(name) = lower(?) AND id <> ?", (name, other_than))
    return found is not None


async def update_skill(conn: Conn, skill_id: int, name: str, name_zh: str | None, now: int) -> bool:
    """Rename a skill; False when there is no such skill."""
    changed = await conn.execute("UPDATE skills SET name = ?, name_zh = ?, updated_at = ? WHERE id = ?",
                                 (name, name_zh, now, skill_id))
    return changed == 1


async def delete_skill(conn: Conn, skill_id: int) -> bool:
    """Delete a skill with the proficiencies and queue requirements naming it; False when there is none."""
    await conn.execute("DELETE FROM agent_skills WHERE skill_id = ?", (skill_id,))
    await conn.execute("DELETE FROM queue_skills WHERE skill_id = ?", (skill_id,))
    return await conn.execute("DELETE FROM skills WHERE id = ?", (skill_id,)) == 1


async def user_role(conn: Conn, user_id: int) -> str | None:
    """A user's role, or None when there is no such user."""
    role: str | None = await conn.fetchval("SELECT role FROM users WHERE id = ?", (user_id,))
    return role


async def replace_agent_skills(conn: Conn, user_id: int, levels: Sequence[tuple[int, int]]) -> None:
    """Make (skill id, proficiency) pairs the whole set of skills an agent holds."""
    await conn.execute("DELETE FROM agent_skills WHERE user_id = ?", (user_id,))
    await conn.executemany("INSERT INTO agent_skills (user_id, skill_id, proficiency) VALUES (?, ?, ?)",
                           [(user_id, skill_id, level) for skill_id, level in levels])
