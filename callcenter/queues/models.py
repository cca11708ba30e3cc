"""Domain types of queues: skills, agents' proficiencies, queues with their settings, dispositions."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_NAME = 80
MAX_LABEL = 80
MAX_SKILLS = 50  # skills a queue may want, and skills one agent may hold
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# Overflow targets that are not queues, so no queue may be called by them.
RESERVED_KEYS = frozenset({"voicemail", "callback"})
TIERS = ("A", "B", "C")
DEFAULT_TIER_BONUS: Mapping[str, int] = {"A": 60, "B": 20, "C": 0}

# Inclusive bounds of the numeric settings; the schema's CHECKs hold the lower ones.
PROFICIENCY = (1, 5)
RING_TIMEOUT_S = (5, 300)
MAX_NO_ANSWER = (1, 100)
WRAP_UP_S = (0, 3600)
MAX_WAIT_S = (0, 86400)
MAX_QUEUE = (0, 10000)
SERVICE_LEVEL_S = (1, 3600)
TIER_BONUS_S = (0, 3600)
POSITION = (0, 10000)


class OverflowAction(enum.StrEnum):
    """What happens to a call past a queue's max_wait_s or max_queue."""

    REJECT = "reject"
    QUEUE = "queue"  # into ``overflow_queue``
    VOICEMAIL = "voicemail"
    CALLBACK = "callback"


def is_slug(value: str) -> bool:
    """Queue keys and disposition codes: lower-case letters, digits, ``_`` and ``-``, 1–40, no leading sign."""
    return SLUG.match(value) is not None


def overflow_cycle(edges: Mapping[int, int | None], queue_id: int, target_id: int) -> list[int] | None:
    """The loop a queue overflowing into ``target_id`` would close, as queue ids; None when there is none.

    ``edges`` maps each queue to the queue it overflows into now; the chain is followed from the new
    target until it ends, comes back to ``queue_id`` (a loop), or repeats without passing it.
    """
    path, seen, at = [queue_id], {queue_id}, target_id
    while True:
        path.append(at)
        if at == queue_id:
            return path
        if at in seen:
            return None
        seen.add(at)
        nxt = edges.get(at)
        if nxt is None:
            return None
        at = nxt


@dataclass(frozen=True)
class Skill:
    """Something a call may need (a language, a product line); ``name`` is what routing knows it by."""

    id: int
    name: str
    name_zh: str | None
    agent_count: int
    queue_count: int
    created_at: int
    updated_at: int

    def payload(self) -> dict[str, Any]:
        """The wire form."""
        return {"id": self.id, "name": self.name, "name_zh": self.name_zh, "agent_count": self.agent_count,
                "queue_count": self.queue_count, "created_at": self.created_at, "updated_at": self.updated_at}


@dataclass(frozen=True)
class SkillLevel:
    """A skill with a level: an agent's proficiency, or the minimum a queue wants."""

    skill_id: int
    name: str
    name_zh: str | None
    level: int


@dataclass(frozen=True)
class SkillWant:
    """A skill named by the caller (its id, or its name) at a level 1–5, before it is looked up."""

    skill: int | str
    level: int


@dataclass(frozen=True)
class Agent:
    """A user who can take calls (an agent or a supervisor) with their proficiencies, by skill name."""

    user_id: int
    username: str
    display_name: str
    role: str
    disabled: bool
    skills: tuple[SkillLevel, ...] = ()

    def level(self, skill_id: int) -> int | None:
        """The agent's proficiency in a skill, None when they do not hold it."""
        return next((s.level for s in self.skills if s.skill_id == skill_id), None)

    def payload(self) -> dict[str, Any]:
        """The wire form of the agent's skills."""
        return {"user_id": self.user_id, "skills": [
            {"skill_id": s.skill_id, "skill": s.name, "name_zh": s.name_zh, "proficiency": s.level}
            for s in self.skills]}


@dataclass(frozen=True)
class QueueSettings:
    """What an admin sets on a queue; ``overflow_queue`` is the other queue's key."""

    key: str
    name: str
    name_zh: str | None = None
    ring_timeout_s: int = 20
    max_no_answer: int | None = 3
    wrap_up_s: int = 60
    max_wait_s: int | None = None
    max_queue: int | None = None
    overflow_action: OverflowAction = OverflowAction.REJECT
    overflow_queue: str | None = None
    service_level_s: int = 20
    tier_bonus: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_TIER_BONUS))
    enabled: bool = True
    skills: tuple[SkillWant, ...] = ()


@dataclass(frozen=True)
class Queue:
    """A queue as stored, with the skills it wants (by name, ordered by name)."""

    id: int
    key: str
    name: str
    name_zh: str | None
    ring_timeout_s: int
    max_no_answer: int | None
    wrap_up_s: int
    max_wait_s: int | None
    max_queue: int | None
    overflow_action: OverflowAction
    overflow_queue_id: int | None
    overflow_queue: str | None
    service_level_s: int
    tier_bonus: Mapping[str, int]
    enabled: bool
    skills: tuple[SkillLevel, ...]
    created_at: int
    updated_at: int

    def settings(self) -> QueueSettings:
        """The settings as an admin would enter them, skills named by id."""
        return QueueSettings(
            key=self.key, name=self.name, name_zh=self.name_zh, ring_timeout_s=self.ring_timeout_s,
            max_no_answer=self.max_no_answer, wrap_up_s=self.wrap_up_s, max_wait_s=self.max_wait_s,
            max_queue=self.max_queue, overflow_action=self.overflow_action, overflow_queue=self.overflow_queue,
            service_level_s=self.service_level_s, tier_bonus=dict(self.tier_bonus), enabled=self.enabled,
            skills=tuple(SkillWant(s.skill_id, s.level) for s in self.skills),
        )

    def payload(self) -> dict[str, Any]:
        """The wire form."""
        return {
            "id": self.id, "key": self.key, "name": self.name, "name_zh": self.name_zh,
            "ring_timeout_s": self.ring_timeout_s, "max_no_answer": self.max_no_answer,
            "wrap_up_s": self.wrap_up_s, "max_wait_s": self.max_wait_s, "max_queue": self.max_queue,
            "overflow_action": self.overflow_action.value, "overflow_queue": self.overflow_queue,
            "service_level_s": self.service_level_s, "tier_bonus": dict(self.tier_bonus), "enabled": self.enabled,
            "skills": [{"skill_id": s.skill_id, "skill": s.name, "name_zh": s.name_zh, "min_proficiency": s.level}
                       for s in self.skills],
            "created_at": self.created_at, "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class DispositionDraft:
    """A disposition as an admin enters it; ``position`` None puts it after the queue's others."""

    code: str
    label: str
    label_zh: str | None = None
    first_contact_resolved: bool = False
    position: int | None = None
    enabled: bool = True


@dataclass(frozen=True)
class Disposition:
    """How a call of one queue ended, chosen by the agent at wrap-up."""

    id: int
    queue_id: int
    code: str
    label: str
    label_zh: str | None
    first_contact_resolved: bool
    position: int
    enabled: bool
    created_at: int
    updated_at: int

    def draft(self) -> DispositionDraft:
        """The fields an admin can change."""
        return DispositionDraft(self.code, self.label, self.label_zh, self.first_contact_resolved, self.position,
                                self.enabled)

    def payload(self) -> dict[str, Any]:
        """The wire form."""
        return {"id": self.id, "queue_id": self.queue_id, "code": self.code, "label": self.label,
                "label_zh": self.label_zh, "first_contact_resolved": self.first_contact_resolved,
                "position": self.position, "enabled": self.enabled}
