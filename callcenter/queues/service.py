"""Skills, agents' proficiencies, queues and dispositions: admin changes, each audited; routing hears of them."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from callcenter.accounts.models import Actor
from callcenter.audit.service import record
from callcenter.clock import Clock
from callcenter.db import Conn, Database
from callcenter.errors import Conflict, FieldError, Invalid, NotFound, field_error
from callcenter.queues import skill_store, store
from callcenter.queues.checks import check_draft, check_settings, check_skill_names, resolve_skills
from callcenter.queues.models import (
    Agent,
    Disposition,
    DispositionDraft,
    OverflowAction,
    Queue,
    QueueSettings,
    Skill,
    SkillWant,
    overflow_cycle,
)

log = logging.getLogger(__name__)
Listener = Callable[[], Awaitable[None]]
QUEUE_FIELDS = frozenset(f.name for f in dataclasses.fields(QueueSettings)) - {"key"}
DISPOSITION_FIELDS = frozenset(f.name for f in dataclasses.fields(DispositionDraft))


def _unknown(changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    wrong = sorted(set(changes) - allowed)
    if wrong:
        raise Invalid("these fields cannot be changed", [FieldError((name,), "cannot be changed") for name in wrong])


class QueueService:
    """Owns skills, proficiencies, queues and dispositions; ``listeners`` run after each routing change commits."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.listeners: list[Listener] = []

    async def _changed(self) -> None:
        """Tell the listeners (the router reloading its configuration); one failing does not stop the rest."""
        for listener in list(self.listeners):
            try:
                await listener()
            except Exception:
                log.exception("a queue configuration listener failed")

    # Skills

    async def list_skills(self, *, after_id: int = 0, limit: int = 50) -> list[Skill]:
        """Skills by id with how many agents hold them and queues want them, one page."""
        async with self.db.read() as conn:
            return await skill_store.list_skills(conn, after_id=after_id, limit=limit)

    async def all_skills(self) -> list[Skill]:
        """Every skill by name (for forms)."""
        async with self.db.read() as conn:
            return await skill_store.all_skills(conn)

    async def get_skill(self, skill_id: int) -> Skill:
        """One skill, or NotFound."""
        async with self.db.read() as conn:
            return await self._skill(conn, skill_id)

    async def create_skill(self, actor: Actor, name: str, name_zh: str | None = None) -> Skill:
        """Add a skill; a name already in use (in any letter case) is a Conflict naming ``name``."""
        name, name_zh = check_skill_names(name, name_zh)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            skill = None if await skill_store.name_taken(conn, name, 0) else \
                await skill_store.insert_skill(conn, name, name_zh, now)
            if skill is None:
                raise Conflict("skill name taken", field_error("name", "another skill has this name"))
            await record(conn, now, actor, "skill.create", "skill", skill.id, name=name, name_zh=name_zh)
        return skill

    async def update_skill(self, actor: Actor, skill_id: int, *, name: str | None = None,
                           name_zh: str | None = None) -> Skill:
        """Rename a skill; ``None`` keeps a name, an empty ``name_zh`` removes the Chinese one."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            current = await self._skill(conn, skill_id)
            new_name, new_zh = check_skill_names(current.name if name is None else name,
                                                 current.name_zh if name_zh is None else name_zh)
            if (new_name, new_zh) == (current.name, current.name_zh):
                return current
            if await skill_store.name_taken(conn, new_name, skill_id):
                raise Conflict("skill name taken", field_error("name", "another skill has this name"))
            await skill_store.update_skill(conn, skill_id, new_name, new_zh, now)
            await record(conn, now, actor, "skill.update", "skill", skill_id, name=new_name, name_zh=new_zh,
                         was=current.name)
            skill = await self._skill(conn, skill_id)
        if new_name != current.name:
            await self._changed()
        return skill

    async def delete_skill(self, actor: Actor, skill_id: int) -> None:
        """Remove a skill, and with it every agent's proficiency in it and every queue's want of it."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            skill = await self._skill(conn, skill_id)
            await skill_store.delete_skill(conn, skill_id)
            await record(conn, now, actor, "skill.delete", "skill", skill_id, name=skill.name,
                         agents=skill.agent_count, queues=skill.queue_count)
        await self._changed()

    async def _skill(self, conn: Conn, skill_id: int) -> Skill:
        skill = await skill_store.get_skill(conn, skill_id)
        if skill is None:
            raise NotFound("no such skill")
        return skill

    # Agents' proficiencies

    async def list_agents(self, *, after_id: int = 0, limit: int = 50) -> list[Agent]:
        """Agents and supervisors by id with their skills, one page."""
        async with self.db.read() as conn:
            return await store.list_agents(conn, after_id=after_id, limit=limit)

    async def agent(self, user_id: int) -> Agent:
        """An agent or supervisor with their skills; NotFound for anyone else."""
        async with self.db.read() as conn:
            return await self._agent(conn, user_id)

    async def set_agent_skills(self, actor: Actor, user_id: int, wants: Sequence[SkillWant]) -> Agent:
        """Replace the whole set of an agent's skills, each named by id or name at a proficiency 1–5."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            current = await self._agent(conn, user_id)
            levels = resolve_skills(wants, await skill_store.all_skills(conn), "proficiency")
            await skill_store.replace_agent_skills(conn, user_id, levels)
            agent = await self._agent(conn, user_id)
            await record(conn, now, actor, "agent.skills", "user", user_id,
                         skills={s.name: s.level for s in agent.skills},
                         was={s.name: s.level for s in current.skills})
        await self._changed()
        return agent

    async def _agent(self, conn: Conn, user_id: int) -> Agent:
        agent = await store.get_agent(conn, user_id)
        if agent is None:
            raise NotFound("no agent or supervisor has this id")
        return agent

    # Queues

    async def list_queues(self, *, after_id: int = 0, limit: int = 50) -> list[Queue]:
        """Queues by id with the skills they want, one page."""
        async with self.db.read() as conn:
            return await store.list_queues_page(conn, after_id=after_id, limit=limit)

    async def all_queues(self) -> list[Queue]:
        """Every queue by key (for forms)."""
        async with self.db.read() as conn:
            return await store.list_queues(conn)

    async def get_queue(self, queue_id: int) -> Queue:
        """One queue, or NotFound."""
        async with self.db.read() as conn:
            return await self._queue(conn, queue_id)

    async def create_queue(self, actor: Actor, settings: QueueSettings) -> Queue:
        """Add a queue; a key in use is a Conflict naming ``key``. It starts without dispositions."""
        settings = check_settings(settings)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            levels, overflow_id = await self._references(conn, settings, None)
            queue_id = await store.insert_queue(conn, settings, overflow_id, now)
            if queue_id is None:
                raise Conflict("queue key taken", field_error("key", "another queue has this key"))
            await store.replace_queue_skills(conn, queue_id, levels)
            queue = await self._queue(conn, queue_id)
            await record(conn, now, actor, "queue.create", "queue", queue_id, **_audited(queue.payload()))
        await self._changed()
        return queue

    async def update_queue(self, actor: Actor, queue_id: int, changes: Mapping[str, Any]) -> Queue:
        """Change some of a queue's settings (not its key); ``skills``, when given, replaces the whole set.

        Choosing an overflow action other than ``queue`` forgets the overflow queue.
        """
        _unknown(changes, QUEUE_FIELDS)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            current = await self._queue(conn, queue_id)
            merged = dataclasses.replace(current.settings(), **changes)
            if "overflow_action" in changes and "overflow_queue" not in changes \
                    and merged.overflow_action != OverflowAction.QUEUE:
                merged = dataclasses.replace(merged, overflow_queue=None)
            settings = check_settings(merged)
            levels, overflow_id = await self._references(conn, settings, queue_id)
            if _same(settings, levels, current):
                return current
            await store.update_queue(conn, queue_id, settings, overflow_id, now)
            await store.replace_queue_skills(conn, queue_id, levels)
            queue = await self._queue(conn, queue_id)
            before, after = _audited(current.payload()), _audited(queue.payload())
            changed = {k: v for k, v in after.items() if before[k] != v}
            await record(conn, now, actor, "queue.update", "queue", queue_id, **changed,
                         was={k: before[k] for k in changed})
        await self._changed()
        return queue

    async def delete_queue(self, actor: Actor, queue_id: int) -> None:
        """Remove a queue with its dispositions; a Conflict names the numbers and queues still pointing at it."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            queue = await self._queue(conn, queue_id)
            numbers, queues = await store.queue_users(conn, queue_id)
            if numbers or queues:  # numbers' queue_id has no ON DELETE; overflow would be silently cut
                used = [FieldError(("numbers",), "dialled numbers route here: " + ", ".join(numbers))] if numbers \
                    else []
                used += [FieldError(("queues",), "these queues overflow into it: " + ", ".join(queues))] if queues \
                    else []
                raise Conflict(f"queue {queue.key} is in use: " + "; ".join(f.msg for f in used), used)
            await store.delete_queue(conn, queue_id)
            await record(conn, now, actor, "queue.delete", "queue", queue_id, key=queue.key, name=queue.name)
        await self._changed()

    async def queue_users(self, queue_id: int) -> tuple[list[str], list[str]]:
        """What keeps a queue from being deleted: the numbers routed to it, the keys of queues overflowing into it."""
        async with self.db.read() as conn:
            return await store.queue_users(conn, queue_id)

    async def _references(self, conn: Conn, settings: QueueSettings,
                          queue_id: int | None) -> tuple[list[tuple[int, int]], int | None]:
        """The wanted skills as (id, level) and the overflow queue's id, checked against what is stored."""
        levels = resolve_skills(settings.skills, await skill_store.all_skills(conn), "min_proficiency")
        if settings.overflow_action != OverflowAction.QUEUE or settings.overflow_queue is None:
            return levels, None
        target = await store.queue_by_key(conn, settings.overflow_queue)
        if target is None:
            raise Invalid("no such overflow queue", field_error("overflow_queue", "no queue has this key"))
        if queue_id is not None:
            cycle = overflow_cycle(await store.overflow_edges(conn), queue_id, target.id)
            if cycle is not None:
                keys = {q.id: q.key for q in await store.list_queues(conn)}
                path = " → ".join(keys[i] for i in cycle)
                raise Invalid("overflow cycle", field_error("overflow_queue", f"calls would go round: {path}"))
        return levels, target.id

    async def _queue(self, conn: Conn, queue_id: int) -> Queue:
        queue = await store.get_queue(conn, queue_id)
        if queue is None:
            raise NotFound("no such queue")
        return queue

    # Dispositions

    async def dispositions(self, queue_id: int) -> list[Disposition]:
        """A queue's dispositions, enabled or not, by position."""
        async with self.db.read() as conn:
            await self._queue(conn, queue_id)
            return await store.list_dispositions(conn, queue_id)

    async def get_disposition(self, disposition_id: int) -> Disposition:
        """One disposition, or NotFound."""
        async with self.db.read() as conn:
            return await self._disposition(conn, disposition_id)

    async def add_disposition(self, actor: Actor, queue_id: int, draft: DispositionDraft) -> Disposition:
        """Add a disposition to a queue; a code the queue already has is a Conflict naming ``code``."""
        draft = check_draft(draft)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            await self._queue(conn, queue_id)
            position = await store.next_position(conn, queue_id) if draft.position is None else draft.position
            disposition = await store.insert_disposition(conn, queue_id, draft, position, now)
            if disposition is None:
                raise Conflict("code taken", field_error("code", "this queue has a disposition with this code"))
            await record(conn, now, actor, "disposition.create", "disposition", disposition.id,
                         **disposition.payload())
        return disposition

    async def update_disposition(self, actor: Actor, disposition_id: int, changes: Mapping[str, Any]) -> Disposition:
        """Change some of a disposition's fields; a ``position`` of None keeps it where it is."""
        _unknown(changes, DISPOSITION_FIELDS)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            current = await self._disposition(conn, disposition_id)
            draft = check_draft(dataclasses.replace(current.draft(), **changes))
            position = current.position if draft.position is None else draft.position
            if await store.code_taken(conn, current.queue_id, draft.code, disposition_id):
                raise Conflict("code taken", field_error("code", "this queue has a disposition with this code"))
            await store.update_disposition(conn, disposition_id, draft, position, now)
            disposition = await self._disposition(conn, disposition_id)
            before, after = current.payload(), disposition.payload()
            changed = {k: v for k, v in after.items() if before[k] != v}
            if changed:
                await record(conn, now, actor, "disposition.update", "disposition", disposition_id, **changed,
                             was={k: before[k] for k in changed})
        return disposition

    async def delete_disposition(self, actor: Actor, disposition_id: int) -> Disposition:
        """Remove a disposition no call was wrapped up with, and return it; one in use is a Conflict (disable it)."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            disposition = await self._disposition(conn, disposition_id)
            uses = await store.disposition_uses(conn, disposition_id)
            if uses:
                raise Conflict(f"{uses} calls were wrapped up with this disposition; disable it instead",
                               field_error("enabled", "in use by calls: disable it instead"))
            await store.delete_disposition(conn, disposition_id)
            await record(conn, now, actor, "disposition.delete", "disposition", disposition_id,
                         queue_id=disposition.queue_id, code=disposition.code)
        return disposition

    async def _disposition(self, conn: Conn, disposition_id: int) -> Disposition:
        disposition = await store.get_disposition(conn, disposition_id)
        if disposition is None:
            raise NotFound("no such disposition")
        return disposition


def _same(settings: QueueSettings, levels: Sequence[tuple[int, int]], queue: Queue) -> bool:
    """True when checked settings and resolved skills are what the queue has already."""
    stored = queue.settings()
    return dataclasses.replace(settings, skills=()) == dataclasses.replace(stored, skills=()) \
        and sorted(levels) == sorted((s.skill_id, s.level) for s in queue.skills)


def _audited(payload: dict[str, Any]) -> dict[str, Any]:
    """A queue's payload as the audit log keeps it: settings and skills, not ids or times."""
    skip = {"id", "created_at", "updated_at"}
    return {k: v for k, v in payload.items() if k not in skip}
