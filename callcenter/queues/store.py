"""SQL for queues and dispositions, and the reads the routing service loads its configuration with."""

from __future__ import annotations

import json
from collections.abc import Sequence

from callcenter.db import Conn, Row
from callcenter.queues.models import (
    Agent,
    Disposition,
    DispositionDraft,
    OverflowAction,
    Queue,
    QueueSettings,
    SkillLevel,
)
from callcenter.routing.models import QueueConfig

# The two tables that pair an owner with skill levels: (owner column, level column) of each.
_LEVEL_TABLES = {"agent_skills": ("user_id", "proficiency"), "queue_skills": ("queue_id", "min_proficiency")}
AGENT_ROLES = ("agent", "supervisor")

_QUEUE_COLS = (
    "q.id, q.key, q.name, q.name_zh, q.ring_timeout_s, q.max_no_answer, q.wrap_up_s, q.max_wait_s, q.max_queue,"
    " q.overflow_action, q.overflow_queue_id, o.key AS overflow_key,"
    " q.service_level_s, q.tier_bonus, q.enabled, q.created_at, q.updated_at"
)
_QUEUE_FROM = "queues q LEFT JOIN queues o ON o.id = q.overflow_queue_id"
_DISPOSITION_COLS = (
    "d.id, d.queue_id, d.code, d.label, d.label_zh, d.first_contact_resolved, d.position, d.enabled,"
    " d.created_at, d.updated_at"
)


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


async def levels_of(conn: Conn, table: str, owner_ids: Sequence[int]) -> dict[int, list[SkillLevel]]:
    """The skill levels of several agents (``agent_skills``) or queues (``queue_skills``), by skill name."""
    owner, level = _LEVEL_TABLES[table]
    found: dict[int, list[SkillLevel]] = {i: [] for i in owner_ids}
    if not owner_ids:
        return found
    rows = await conn.fetchall(
        f"SELECT t.{owner} AS owner, s.id, s.name, s.name_zh, t.{level} AS level FROM {table} t"
        f" JOIN skills s ON s.id = t.skill_id WHERE t.{owner} IN ({_marks(owner_ids)}) ORDER BY s.name, s.id",
        tuple(owner_ids),
    )
    for r in rows:
        found[r["owner"]].append(SkillLevel(r["id"], r["name"], r["name_zh"], r["level"]))
    return found


async def agent_skills(conn: Conn, user_ids: Sequence[int] | None = None) -> dict[int, dict[str, int]]:
    """User id → skill name → proficiency, for the given users or everyone holding a skill."""
    if user_ids is not None and not user_ids:
        return {}
    where = "" if user_ids is None else f" WHERE a.user_id IN ({_marks(user_ids)})"
    rows = await conn.fetchall(
        f"SELECT a.user_id, s.name, a.proficiency FROM agent_skills a JOIN skills s ON s.id = a.skill_id{where}",
        tuple(user_ids or ()),
    )
    found: dict[int, dict[str, int]] = {}
    for r in rows:
        found.setdefault(r["user_id"], {})[r["name"]] = r["proficiency"]
    return found


def _agent(row: Row, skills: Sequence[SkillLevel]) -> Agent:
    return Agent(row["id"], row["username"], row["display_name"], row["role"], bool(row["disabled"]), tuple(skills))


async def get_agent(conn: Conn, user_id: int) -> Agent | None:
    """A user who can take calls, with their skills; None for anyone else."""
    row = await conn.fetchone(
        "SELECT id, username, display_name, role, disabled FROM users WHERE id = ? AND role IN (?, ?)",
        (user_id, *AGENT_ROLES),
    )
    if row is None:
        return None
    return _agent(row, (await levels_of(conn, "agent_skills", [user_id]))[user_id])


async def list_agents(conn: Conn, *, after_id: int, limit: int) -> list[Agent]:
    """Agents and supervisors ordered by id after a keyset cursor, with their skills."""
    rows = await conn.fetchall(
        "SELECT id, username, display_name, role, disabled FROM users WHERE id > ? AND role IN (?, ?)"
        " ORDER BY id LIMIT ?",
        (after_id, *AGENT_ROLES, limit),
    )
    skills = await levels_of(conn, "agent_skills", [r["id"] for r in rows])
    return [_agent(r, skills[r["id"]]) for r in rows]


def _queue(row: Row, skills: Sequence[SkillLevel]) -> Queue:
    return Queue(
        id=row["id"], key=row["key"], name=row["name"], name_zh=row["name_zh"],
        ring_timeout_s=row["ring_timeout_s"], max_no_answer=row["max_no_answer"], wrap_up_s=row["wrap_up_s"],
        max_wait_s=row["max_wait_s"], max_queue=row["max_queue"],
        overflow_action=OverflowAction(row["overflow_action"]), overflow_queue_id=row["overflow_queue_id"],
        overflow_queue=row["overflow_key"], service_level_s=row["service_level_s"],
        tier_bonus=json.loads(row["tier_bonus"]), enabled=bool(row["enabled"]), skills=tuple(skills),
        created_at=row["created_at"], updated_at=row["updated_at"],
    )


async def _queues(conn: Conn, where: str, params: Sequence[object]) -> list[Queue]:
    rows = await conn.fetchall(f"SELECT {_QUEUE_COLS} FROM {_QUEUE_FROM} {where}", tuple(params))
    skills = await levels_of(conn, "queue_skills", [r["id"] for r in rows])
    return [_queue(r, skills[r["id"]]) for r in rows]


async def get_queue(conn: Conn, queue_id: int) -> Queue | None:
    """One queue by id, with the skills it wants."""
    found = await _queues(conn, "WHERE q.id = ?", (queue_id,))
    return found[0] if found else None


async def queue_by_key(conn: Conn, key: str) -> Queue | None:
    """One queue by the key PBXs and the router know it by."""
    found = await _queues(conn, "WHERE q.key = ?", (key,))
    return found[0] if found else None


async def list_queues(conn: Conn) -> list[Queue]:
    """Every queue, enabled or not, ordered by key."""
    return await _queues(conn, "ORDER BY q.key", ())


async def list_queues_page(conn: Conn, *, after_id: int, limit: int) -> list[Queue]:
    """Queues ordered by id, after a keyset cursor."""
    return await _queues(conn, "WHERE q.id > ? ORDER BY q.id LIMIT ?", (after_id, limit))


async def routing_queues(conn: Conn) -> list[QueueConfig]:
    """The enabled queues as the router takes them: an overflow into a disabled queue rejects."""
    queues = await _queues(conn, "WHERE q.enabled = ? ORDER BY q.key", (True,))
    enabled = {q.key for q in queues}
    configs = []
    for queue in queues:
        overflow: str | None = None
        if queue.overflow_action == OverflowAction.QUEUE:
            overflow = queue.overflow_queue if queue.overflow_queue in enabled else None
        elif queue.overflow_action != OverflowAction.REJECT:
            overflow = queue.overflow_action.value
        configs.append(QueueConfig(
            id=queue.key, name=queue.name, skills={s.name: s.level for s in queue.skills},
            ring_timeout_s=queue.ring_timeout_s, max_no_answer=queue.max_no_answer, max_wait_s=queue.max_wait_s,
            max_queue=queue.max_queue, overflow=overflow, tier_bonus_s=dict(queue.tier_bonus),
        ))
    return configs


def _queue_values(settings: QueueSettings, overflow_queue_id: int | None) -> tuple[object, ...]:
    return (
        settings.name, settings.name_zh, settings.ring_timeout_s, settings.max_no_answer, settings.wrap_up_s,
        settings.max_wait_s, settings.max_queue, settings.overflow_action.value, overflow_queue_id,
        json.dumps(dict(settings.tier_bonus), sort_keys=True), settings.service_level_s, settings.enabled,
    )


async def insert_queue(conn: Conn, settings: QueueSettings, overflow_queue_id: int | None, now: int) -> int | None:
    """Insert a queue (not its skills); None when the key is taken."""
    queue_id: int | None = await conn.fetchval(
        "INSERT INTO queues (name, name_zh, ring_timeout_s, max_no_answer, wrap_up_s, max_wait_s, max_queue,"
        " overflow_action, overflow_queue_id, tier_bonus, service_level_s, enabled, key, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING id",
        (*_queue_values(settings, overflow_queue_id), settings.key, now, now),
    )
    return queue_id


async def update_queue(conn: Conn, queue_id: int, settings: QueueSettings, overflow_queue_id: int | None,
                       now: int) -> bool:
    """Store a queue's settings (its key stays); False when there is no such queue."""
    changed = await conn.execute(
        "UPDATE queues SET name = ?, name_zh = ?, ring_timeout_s = ?, max_no_answer = ?, wrap_up_s = ?,"
        " max_wait_s = ?, max_queue = ?, overflow_action = ?, overflow_queue_id = ?, tier_bonus = ?,"
        " service_level_s = ?, enabled = ?, updated_at = ? WHERE id = ?",
        (*_queue_values(settings, overflow_queue_id), now, queue_id),
    )
    return changed == 1


async def replace_queue_skills(conn: Conn, queue_id: int, levels: Sequence[tuple[int, int]]) -> None:
    """Make (skill id, minimum proficiency) pairs the whole set of skills a queue wants."""
    await conn.execute("DELETE FROM queue_skills WHERE queue_id = ?", (queue_id,))
    await conn.executemany("INSERT INTO queue_skills (queue_id, skill_id, min_proficiency) VALUES (?, ?, ?)",
                           [(queue_id, skill_id, level) for skill_id, level in levels])


async def delete_queue(conn: Conn, queue_id: int) -> bool:
    """Delete a queue (its skills and dispositions go with it); False when there is no such queue."""
    return await conn.execute("DELETE FROM queues WHERE id = ?", (queue_id,)) == 1


async def overflow_edges(conn: Conn) -> dict[int, int | None]:
    """Each queue's id → the queue it overflows into, if any."""
    rows = await conn.fetchall("SELECT id, overflow_queue_id FROM queues")
    return {r["id"]: r["overflow_queue_id"] for r in rows}


async def queue_users(conn: Conn, queue_id: int) -> tuple[list[str], list[str]]:
    """What points at a queue: the dialled numbers routed to it, the keys of queues overflowing into it."""
    numbers = await conn.fetchall("SELECT number FROM numbers WHERE queue_id = ? ORDER BY number", (queue_id,))
    queues = await conn.fetchall("SELECT key FROM queues WHERE overflow_queue_id = ? ORDER BY key", (queue_id,))
    return [r["number"] for r in numbers], [r["key"] for r in queues]


def _disposition(row: Row) -> Disposition:
    return Disposition(
        id=row["id"], queue_id=row["queue_id"], code=row["code"], label=row["label"], label_zh=row["label_zh"],
        first_contact_resolved=bool(row["first_contact_resolved"]), position=row["position"],
        enabled=bool(row["enabled"]), created_at=row["created_at"], updated_at=row["updated_at"],
    )


async def get_disposition(conn: Conn, disposition_id: int) -> Disposition | None:
    """One disposition by id, enabled or not."""
    row = await conn.fetchone(f"SELECT {_DISPOSITION_COLS} FROM dispositions d WHERE d.id = ?", (disposition_id,))
    return None if row is None else _disposition(row)


async def list_dispositions(conn: Conn, queue_id: int) -> list[Disposition]:
    """A queue's dispositions, enabled or not, by position."""
    rows = await conn.fetchall(
        f"SELECT {_DISPOSITION_COLS} FROM dispositions d WHERE d.queue_id = ? ORDER BY d.position, d.id",
        (queue_id,),
    )
    return [_disposition(r) for r in rows]


async def dispositions_for(conn: Conn, queue_key: str) -> list[Disposition]:
    """The enabled dispositions an agent wrapping up a call of this queue chooses from, by position."""
    rows = await conn.fetchall(
        f"SELECT {_DISPOSITION_COLS} FROM dispositions d JOIN queues q ON q.id = d.queue_id"
        " WHERE q.key = ? AND d.enabled = ? ORDER BY d.position, d.id",
        (queue_key, True),
    )
    return [_disposition(r) for r in rows]


async def next_position(conn: Conn, queue_id: int) -> int:
    """The position after a queue's last disposition."""
    last = await conn.fetchval("SELECT MAX(position) FROM dispositions WHERE queue_id = ?", (queue_id,))
    return 0 if last is None else int(last) + 1


async def insert_disposition(conn: Conn, queue_id: int, draft: DispositionDraft, position: int,
                             now: int) -> Disposition | None:
    """Add a disposition to a queue; None when the queue already has one with this code."""
    row = await conn.fetchone(
        "INSERT INTO dispositions (queue_id, code, label, label_zh, first_contact_resolved, position, enabled,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (queue_id, code) DO NOTHING"
        f" RETURNING {_DISPOSITION_COLS.replace('d.', '')}",
        (queue_id, draft.code, draft.label, draft.label_zh, draft.first_contact_resolved, position, draft.enabled,
         now, now),
    )
    return None if row is None else _disposition(row)


async def code_taken(conn: Conn, queue_id: int, code: str, other_than: int) -> bool:
    """True when another disposition of the queue has this code."""
    found = await conn.fetchval("SELECT id FROM dispositions WHERE queue_id = ? AND code = ? AND id <> ?",
                                (queue_id, code, other_than))
    return found is not None


async def update_disposition(conn: Conn, disposition_id: int, draft: DispositionDraft, position: int,
                             now: int) -> bool:
    """Store a disposition's fields; False when there is no such disposition."""
    changed = await conn.execute(
        "UPDATE dispositions SET code = ?, label = ?, label_zh = ?, first_contact_resolved = ?, position = ?,"
        " enabled = ?, updated_at = ? WHERE id = ?",
        (draft.code, draft.label, draft.label_zh, draft.first_contact_resolved, position, draft.enabled, now,
         disposition_id),
    )
    return changed == 1


async def disposition_uses(conn: Conn, disposition_id: int) -> int:
    """How many calls were wrapped up with this disposition."""
    return int(await conn.fetchval("SELECT COUNT(*) FROM calls WHERE disposition_id = ?", (disposition_id,)))


async def delete_disposition(conn: Conn, disposition_id: int) -> bool:
    """Delete a disposition; False when there is no such disposition."""
    return await conn.execute("DELETE FROM dispositions WHERE id = ?", (disposition_id,)) == 1
