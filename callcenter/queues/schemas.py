"""Request and response models of the skills, agents' skills, queues and dispositions API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from callcenter.queues.models import (
    DEFAULT_TIER_BONUS,
    MAX_LABEL,
    MAX_NAME,
    MAX_NO_ANSWER,
    MAX_QUEUE,
    MAX_SKILLS,
    MAX_WAIT_S,
    POSITION,
    PROFICIENCY,
    RING_TIMEOUT_S,
    SERVICE_LEVEL_S,
    SLUG,
    TIER_BONUS_S,
    WRAP_UP_S,
    Agent,
    Disposition,
    DispositionDraft,
    OverflowAction,
    Queue,
    QueueSettings,
    Skill,
    SkillWant,
)

SkillRef = int | str
SKILL_REF = "the skill's id, or its name (any letter case)"


class SkillOut(BaseModel):
    """A skill, with how many agents hold it and how many queues want it."""

    id: int
    name: str = Field(description="what routing and the decisions' reasons call it")
    name_zh: str | None = Field(description="the name shown in Chinese, when it differs")
    agent_count: int
    queue_count: int
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, skill: Skill) -> SkillOut:
        """From the domain type."""
        return cls.model_validate(skill.payload())


class SkillCreate(BaseModel):
    """Add a skill."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME, description="unique in any letter case")
    name_zh: str | None = Field(None, max_length=MAX_NAME)


class SkillUpdate(BaseModel):
    """Rename a skill; omitted fields stay, an empty ``name_zh`` removes the Chinese name."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=MAX_NAME)
    name_zh: str | None = Field(None, max_length=MAX_NAME)


class AgentSkillIn(BaseModel):
    """One skill an agent holds."""

    model_config = ConfigDict(extra="forbid")

    skill: SkillRef = Field(description=SKILL_REF)
    proficiency: int = Field(ge=PROFICIENCY[0], le=PROFICIENCY[1], description="1 (can take it) to 5 (expert)")


class AgentSkillsIn(BaseModel):
    """The whole set of an agent's skills; skills left out are taken away."""

    model_config = ConfigDict(extra="forbid")

    skills: list[AgentSkillIn] = Field(max_length=MAX_SKILLS)

    def wants(self) -> list[SkillWant]:
        """As the service takes them."""
        return [SkillWant(s.skill, s.proficiency) for s in self.skills]


class AgentSkillOut(BaseModel):
    """One skill an agent holds."""

    skill_id: int
    skill: str
    name_zh: str | None
    proficiency: int


class AgentSkillsOut(BaseModel):
    """An agent's skills, by name."""

    user_id: int
    skills: list[AgentSkillOut]

    @classmethod
    def of(cls, agent: Agent) -> AgentSkillsOut:
        """From the domain type."""
        return cls.model_validate(agent.payload())


class QueueSkillIn(BaseModel):
    """A skill a queue wants."""

    model_config = ConfigDict(extra="forbid")

    skill: SkillRef = Field(description=SKILL_REF)
    min_proficiency: int = Field(PROFICIENCY[0], ge=PROFICIENCY[0], le=PROFICIENCY[1])


class QueueSkillOut(BaseModel):
    """A skill a queue wants, at a minimum proficiency."""

    skill_id: int
    skill: str
    name_zh: str | None
    min_proficiency: int


class TierBonus(BaseModel):
    """Seconds of virtual wait per customer value tier: a caller of tier A is offered before others who waited up to
    this much longer."""

    model_config = ConfigDict(extra="forbid")

    A: int = Field(DEFAULT_TIER_BONUS["A"], ge=TIER_BONUS_S[0], le=TIER_BONUS_S[1])
    B: int = Field(DEFAULT_TIER_BONUS["B"], ge=TIER_BONUS_S[0], le=TIER_BONUS_S[1])
    C: int = Field(DEFAULT_TIER_BONUS["C"], ge=TIER_BONUS_S[0], le=TIER_BONUS_S[1])


_OVERFLOW_QUEUE = "the key of the queue to overflow into, with overflow_action queue; no loops (a → b → a)"


class QueueFields(BaseModel):
    """What an admin may change on a queue."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME)
    name_zh: str | None = Field(None, max_length=MAX_NAME)
    ring_timeout_s: int = Field(20, ge=RING_TIMEOUT_S[0], le=RING_TIMEOUT_S[1],
                                description="how long one agent rings before the next is tried")
    max_no_answer: int | None = Field(3, ge=MAX_NO_ANSWER[0], le=MAX_NO_ANSWER[1],
                                      description="calls missed in a row before the agent is set away; null never")
    wrap_up_s: int = Field(60, ge=WRAP_UP_S[0], le=WRAP_UP_S[1],
                           description="after-call work before the agent takes calls again without a disposition")
    max_wait_s: int | None = Field(None, ge=MAX_WAIT_S[0], le=MAX_WAIT_S[1],
                                   description="a caller waiting longer overflows; null waits on")
    max_queue: int | None = Field(None, ge=MAX_QUEUE[0], le=MAX_QUEUE[1],
                                  description="callers waiting at most; the next overflows; null no limit")
    overflow_action: OverflowAction = Field(OverflowAction.REJECT, description="what happens past the limits")
    overflow_queue: str | None = Field(None, description=_OVERFLOW_QUEUE)
    service_level_s: int = Field(20, ge=SERVICE_LEVEL_S[0], le=SERVICE_LEVEL_S[1],
                                 description="answered within this counts toward the service level")
    tier_bonus: TierBonus = Field(default_factory=TierBonus)
    enabled: bool = Field(True, description="disabled queues take no calls; overflow into them rejects")
    skills: list[QueueSkillIn] = Field(default_factory=list, max_length=MAX_SKILLS,
                                       description="an agent needs every one, at least at its minimum")


class QueueCreate(QueueFields):
    """Add a queue (it starts without dispositions)."""

    key: str = Field(pattern=SLUG.pattern, description="the name PBXs and the router use; not voicemail or callback;"
                                                       " cannot change later")

    def settings(self) -> QueueSettings:
        """As the service takes them."""
        data = self.model_dump(exclude={"skills", "tier_bonus"})
        return QueueSettings(**data, tier_bonus=self.tier_bonus.model_dump(),
                             skills=tuple(SkillWant(s.skill, s.min_proficiency) for s in self.skills))


class QueueUpdate(BaseModel):
    """Change a queue: omitted fields stay, ``null`` clears an optional one, ``skills`` replaces the whole set."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=MAX_NAME)
    name_zh: str | None = Field(None, max_length=MAX_NAME)
    ring_timeout_s: int | None = Field(None, ge=RING_TIMEOUT_S[0], le=RING_TIMEOUT_S[1])
    max_no_answer: int | None = Field(None, ge=MAX_NO_ANSWER[0], le=MAX_NO_ANSWER[1])
    wrap_up_s: int | None = Field(None, ge=WRAP_UP_S[0], le=WRAP_UP_S[1])
    max_wait_s: int | None = Field(None, ge=MAX_WAIT_S[0], le=MAX_WAIT_S[1])
    max_queue: int | None = Field(None, ge=MAX_QUEUE[0], le=MAX_QUEUE[1])
    overflow_action: OverflowAction | None = Field(None, description="other than queue forgets overflow_queue")
    overflow_queue: str | None = Field(None, description=_OVERFLOW_QUEUE)
    service_level_s: int | None = Field(None, ge=SERVICE_LEVEL_S[0], le=SERVICE_LEVEL_S[1])
    tier_bonus: TierBonus | None = None
    enabled: bool | None = None
    skills: list[QueueSkillIn] | None = Field(None, max_length=MAX_SKILLS)

    def changes(self) -> dict[str, Any]:
        """The fields sent, as the service takes them; ``null`` skills are none, ``null`` elsewhere is refused there."""
        changes: dict[str, Any] = {name: getattr(self, name) for name in self.model_fields_set}
        if "tier_bonus" in changes and self.tier_bonus is not None:
            changes["tier_bonus"] = self.tier_bonus.model_dump()
        if "skills" in changes:
            changes["skills"] = tuple(SkillWant(s.skill, s.min_proficiency) for s in self.skills or ())
        return changes


class QueueOut(BaseModel):
    """A queue with its settings and the skills it wants."""

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
    overflow_queue: str | None
    service_level_s: int
    tier_bonus: TierBonus
    enabled: bool
    skills: list[QueueSkillOut]
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, queue: Queue) -> QueueOut:
        """From the domain type."""
        return cls.model_validate(queue.payload())


class DispositionCreate(BaseModel):
    """Add a disposition to a queue."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=SLUG.pattern, description="unique in the queue; what reports group by")
    label: str = Field(min_length=1, max_length=MAX_LABEL)
    label_zh: str | None = Field(None, max_length=MAX_LABEL)
    first_contact_resolved: bool = Field(False, description="the caller's matter was settled on this call")
    position: int | None = Field(None, ge=POSITION[0], le=POSITION[1], description="omitted: after the others")
    enabled: bool = True

    def draft(self) -> DispositionDraft:
        """As the service takes it."""
        return DispositionDraft(**self.model_dump())


class DispositionUpdate(BaseModel):
    """Change a disposition: omitted fields stay, an empty ``label_zh`` removes the Chinese label."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(None, pattern=SLUG.pattern)
    label: str | None = Field(None, min_length=1, max_length=MAX_LABEL)
    label_zh: str | None = Field(None, max_length=MAX_LABEL)
    first_contact_resolved: bool | None = None
    position: int | None = Field(None, ge=POSITION[0], le=POSITION[1])
    enabled: bool | None = None

    def changes(self) -> dict[str, Any]:
        """The fields sent, as the service takes them."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class DispositionOut(BaseModel):
    """How a call of the queue ended, as agents choose it at wrap-up."""

    id: int
    queue_id: int
    code: str
    label: str
    label_zh: str | None
    first_contact_resolved: bool
    position: int
    enabled: bool

    @classmethod
    def of(cls, disposition: Disposition) -> DispositionOut:
        """From the domain type."""
        return cls.model_validate(disposition.payload())


class DispositionList(BaseModel):
    """A queue's dispositions by position, enabled or not."""

    items: list[DispositionOut]
