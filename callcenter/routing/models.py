"""Domain types of routing: agents as the router sees them, queues, waiting calls, and decisions as data."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Presence(enum.StrEnum):
    """Whether an agent takes work; the same values as ``callcenter.agents.models.Presence``."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    AWAY = "away"


class WorkState(enum.StrEnum):
    """What an agent is doing: derived from their reservation, their calls and their wrap-up."""

    IDLE = "idle"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


class Action(enum.StrEnum):
    """What the PBX is told to do with a call; the router never answers ``closed`` (the calendar does)."""

    DIAL = "dial"
    QUEUE = "queue"
    OVERFLOW = "overflow"
    CLOSED = "closed"
    REJECT = "reject"


class Rule(enum.StrEnum):
    """Which rule made a decision, so a supervisor can read back why."""

    DEDICATED_AGENT = "dedicated_agent"  # the customer's account manager was free and eligible
    SKILLS_LONGEST_IDLE = "skills_longest_idle"  # best proficiency in the queue's skills, then longest idle
    LONGEST_WAITING = "longest_waiting"  # a freed agent got the call with the longest effective wait
    ALREADY_RINGING = "already_ringing"  # the PBX asked again about a call that already rings an agent
    NO_AGENT_FREE = "no_agent_free"
    OVERFLOW_MAX_WAIT = "overflow_max_wait"
    OVERFLOW_MAX_QUEUE = "overflow_max_queue"
    UNKNOWN_QUEUE = "unknown_queue"


# Why an agent could not take a call. The two skill reasons carry the skill: ``missing_skill:french``.
AWAY = "away"
OFFLINE = "offline"
WRAP_UP = "wrap_up"
ON_CALL = "on_call"  # the agent's one line is busy
RINGING = "ringing"  # reserved for another call: one agent never rings for two calls at once
AT_CAPACITY = "at_capacity"  # every line of a multi-line agent is busy
ALREADY_MISSED = "already_missed"
MISSING_SKILL = "missing_skill"
PROFICIENCY_BELOW = "proficiency_below"

OVERFLOW_SINKS = frozenset({"voicemail", "callback"})

# Seconds of virtual wait each customer value tier adds in the waiting order: an A-tier caller who
# arrived up to 60 s after a C-tier caller is still offered first. Queues may set their own table.
DEFAULT_TIER_BONUS_S: Mapping[str, int] = {"A": 60, "B": 20, "C": 0}


def skill_gap(skills: Mapping[str, int], wanted: Mapping[str, int]) -> str | None:
    """The first wanted skill an agent lacks or holds below the minimum, as an exclusion reason."""
    for name in sorted(wanted):
        level = skills.get(name, 0)
        if level <= 0:
            return f"{MISSING_SKILL}:{name}"
        if level < wanted[name]:
            return f"{PROFICIENCY_BELOW}:{name}"
    return None


def skill_score(skills: Mapping[str, int], wanted: Mapping[str, int]) -> int:
    """An agent's proficiency for a queue: the sum of their levels in the skills the queue wants.

    The sum (rather than the best level) prefers the agent who is strong in all of a queue's
    skills over one who excels in a single one; a queue wanting no skills scores everyone 0.
    """
    return sum(skills.get(name, 0) for name in wanted)


@dataclass(frozen=True)
class AgentState:
    """One agent as the router sees them; ``work`` is derived from the reservation, calls and wrap-up."""

    user_id: int
    presence: Presence = Presence.OFFLINE
    work: WorkState = WorkState.IDLE
    idle_since_ms: int = 0
    skills: Mapping[str, int] = field(default_factory=dict)  # skill → proficiency 1–5
    capacity: int = 1  # concurrent calls
    active: frozenset[str] = frozenset()  # ids of the calls (or outbound items) the agent is on
    missed_in_row: int = 0
    teams: frozenset[int] = frozenset()
    away_reason: str | None = None

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {self.capacity}")
        for name, level in self.skills.items():
            if not 1 <= level <= 5:
                raise ValueError(f"proficiency of {name!r} runs from 1 to 5, got {level}")


@dataclass(frozen=True)
class QueueConfig:
    """A queue's routing settings: skills wanted at a minimum proficiency, timeouts and overflow."""

    id: str
    name: str
    skills: Mapping[str, int] = field(default_factory=dict)  # skill → minimum proficiency 1–5
    ring_timeout_s: int = 20  # the service's ring timer; it then calls ``Router.ring_timeout``
    max_no_answer: int | None = 3  # misses in a row before the agent is set away(missed_calls)
    max_wait_s: int | None = None
    max_queue: int | None = None  # waiting calls admitted; 0 admits none
    overflow: str | None = None  # another queue's id, "voicemail", "callback"; None rejects
    tier_bonus_s: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_TIER_BONUS_S))

    def __post_init__(self) -> None:
        if self.id in OVERFLOW_SINKS:
            raise ValueError(f"{self.id!r} names an overflow target, not a queue")
        if self.overflow == self.id:
            raise ValueError("a queue cannot overflow into itself")
        for name, level in self.skills.items():
            if not 1 <= level <= 5:
                raise ValueError(f"minimum proficiency of {name!r} runs from 1 to 5, got {level}")
        for value in (self.ring_timeout_s, self.max_no_answer, self.max_wait_s, self.max_queue):
            if value is not None and value < 0:
                raise ValueError("timeouts and limits must not be negative")

    def bonus_ms(self, tier: str | None) -> int:
        """The virtual wait a caller of this tier carries in this queue's waiting order."""
        return 1000 * self.tier_bonus_s.get(tier, 0) if tier is not None else 0


@dataclass(frozen=True)
class WaitingCall:
    """A call that needs an agent; ``excluded`` are the agents who already let it ring out."""

    call_id: str
    queue_id: str
    enqueued_at_ms: int
    customer_tier: str | None = None
    dedicated_agent_id: int | None = None
    attempts: int = 0  # agents rung so far
    excluded: frozenset[int] = frozenset()
    ringing_agent_id: int | None = None  # set when rebuilding a call whose agent's phone rings


@dataclass(frozen=True)
class Candidate:
    """An agent who could take the call, with what ranked them."""

    user_id: int
    proficiency: int  # the queue's skill score (see ``skill_score``)
    idle_s: float
    calls: int = 0  # calls already on the agent's lines

    def payload(self) -> dict[str, object]:
        """The wire form stored with the decision and shown to supervisors."""
        return {"user_id": self.user_id, "proficiency": self.proficiency, "idle_s": round(self.idle_s, 1),
                "calls": self.calls}


@dataclass(frozen=True)
class Exclusion:
    """An agent who could not take the call, and why (a reason code, ``missing_skill:<name>`` …)."""

    user_id: int
    reason: str

    @property
    def code(self) -> str:
        """The reason without the skill it names."""
        return self.reason.partition(":")[0]

    def payload(self) -> dict[str, object]:
        """The wire form stored with the decision and shown to supervisors."""
        return {"user_id": self.user_id, "reason": self.reason}


@dataclass(frozen=True)
class Decision:
    """What to do with one call and why: the rule, the ranked candidates, the excluded with reasons.

    Both lists are bounded by the router's ``explain_limit``. ``candidates``: the chosen agent, then
    the runners-up in rank order. ``excluded``: the customer's dedicated agent when passed over,
    everyone who missed the call, then the best-ranked skilled agents who were busy.
    ``qualified`` and ``free`` count every skilled agent, listed or not.
    """

    call_id: str
    queue_id: str
    action: Action
    rule: Rule
    decided_at_ms: int
    agent_id: int | None = None
    target: str | None = None  # where an overflow goes
    candidates: tuple[Candidate, ...] = ()
    excluded: tuple[Exclusion, ...] = ()
    qualified: int = 0  # agents holding the queue's skills
    free: int = 0  # of those, free to ring when deciding
    waited_ms: int = 0
    bonus_ms: int = 0  # the tier's virtual wait in the waiting order

    def payload(self) -> dict[str, object]:
        """The wire form stored and pushed to supervisors; the console words the codes per language."""
        return {
            "call_id": self.call_id, "queue_id": self.queue_id, "action": self.action.value,
            "agent_id": self.agent_id, "target": self.target, "rule": self.rule.value,
            "candidates": [c.payload() for c in self.candidates],
            "excluded": [e.payload() for e in self.excluded],
            "qualified": self.qualified, "free": self.free, "waited_ms": self.waited_ms,
            "bonus_ms": self.bonus_ms, "decided_at": self.decided_at_ms,
        }


@dataclass(frozen=True)
class RouteAnswer:
    """What to tell the PBX about one call, in no PBX's format yet."""

    action: Action
    call_id: int
    queue: str | None
    rule: str
    agent_id: int | None = None
    target: str | None = None
    retry_after_s: int | None = None
    message: str | None = None
    ring_timeout_s: int | None = None

    def payload(self) -> dict[str, Any]:
        """Our JSON protocol's answer (the agent as a user id; the API adds the username)."""
        out: dict[str, Any] = {"action": self.action.value, "call_id": self.call_id, "queue": self.queue,
                               "rule": self.rule}
        if self.agent_id is not None:
            out["agent_id"] = self.agent_id
        if self.target is not None:
            out["target"] = self.target
        if self.retry_after_s is not None:
            out["retry_after_s"] = self.retry_after_s
        if self.message is not None:
            out["message"] = self.message
        if self.ring_timeout_s is not None:
            out["ring_timeout_s"] = self.ring_timeout_s
        return out


@dataclass(frozen=True)
class CallFacts:
    """What routing follows of a call after a telephony event: its state and the agents in it."""

    call_id: int
    state: str
    agent_id: int | None  # the answering agent
    rung: tuple[int, ...]  # agents the PBX rings (known users only)
    queue: str | None
    answered: bool
