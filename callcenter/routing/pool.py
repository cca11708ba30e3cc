"""Skill pools: the agents meeting one skill requirement, with a lazily cleaned heap of those free to ring."""

from __future__ import annotations

import heapq
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from callcenter.routing import models as m
from callcenter.routing.models import AgentState, Presence, WorkState

# (-score, calls on the agent's lines, idle since, user id, agent version): the smallest ranks best.
Entry = tuple[int, int, int, int, int]
Requirement = frozenset[tuple[str, int]]


@dataclass(slots=True, eq=False)
class AgentRecord:
    """The router's mutable copy of one agent; ``version`` changes whenever their rank or freedom does."""

    user_id: int
    presence: Presence
    away_reason: str | None
    wrapping: bool
    idle_since_ms: int
    skills: dict[str, int]
    capacity: int
    teams: frozenset[int]
    calls: set[str]
    missed_in_row: int = 0
    ringing: str | None = None  # the call reserved for them
    version: int = 0
    free: bool = False  # free to ring, as last indexed
    ranked_as: tuple[int, int] = (-1, -1)  # (calls, idle since) as last indexed
    pools: list[Pool] = field(default_factory=list)

    @classmethod
    def from_state(cls, state: AgentState) -> AgentRecord:
        """A record from a loaded state; reservations come from the calls, not from ``work``."""
        # Coerced: the store may hand over plain strings or the agents package's own enum.
        return cls(state.user_id, Presence(state.presence), state.away_reason, state.work == WorkState.WRAP_UP,
                   state.idle_since_ms, dict(state.skills), state.capacity, state.teams, set(state.active),
                   state.missed_in_row)

    def busy_reason(self) -> str | None:
        """Why the agent cannot be rung for any call right now, or None when they can."""
        if self.presence is Presence.OFFLINE:
            return m.OFFLINE
        if self.presence is Presence.AWAY:
            return m.AWAY
        if self.ringing is not None:
            return m.RINGING
        if self.wrapping:
            return m.WRAP_UP
        if len(self.calls) >= self.capacity:
            return m.ON_CALL if self.capacity == 1 else m.AT_CAPACITY
        return None

    @property
    def work(self) -> WorkState:
        """The work state, derived so it can never disagree with the reservation and the calls."""
        if self.ringing is not None:
            return WorkState.RINGING
        if self.calls:
            return WorkState.ON_CALL
        return WorkState.WRAP_UP if self.wrapping else WorkState.IDLE

    def snapshot(self) -> AgentState:
        """A frozen copy for callers."""
        return AgentState(self.user_id, self.presence, self.work, self.idle_since_ms, dict(self.skills),
                          self.capacity, frozenset(self.calls), self.missed_in_row, self.teams, self.away_reason)


class Pool:
    """Agents meeting one requirement, ranked by score, then fewest calls, then longest idle.

    The heap holds an entry per (agent, version); an agent's change of state bumps the version
    and pushes a fresh entry, and stale entries are dropped when they surface (lazy deletion).
    A heap grown well past its live entries is rebuilt, so memory stays O(members).
    """

    def __init__(self, requirement: Requirement, agents: Mapping[int, AgentRecord]) -> None:
        self.requirement = requirement
        self.wanted = dict(requirement)
        self.queue_ids: list[str] = []
        self.members: dict[int, int] = {}  # user id → score
        self.ranked: list[tuple[int, int]] = []  # (-score, user id) of every member, for explanations
        self.free = 0
        self._heap: list[Entry] = []
        self._agents = agents

    def admit(self, agent: AgentRecord) -> bool:
        """Add the agent when they meet the requirement; True when they were added."""
        if m.skill_gap(agent.skills, self.wanted) is not None:
            return False
        score = m.skill_score(agent.skills, self.wanted)
        self.members[agent.user_id] = score
        agent.pools.append(self)
        return True

    def rerank(self) -> None:
        """Re-sort the explanation order after membership changed."""
        self.ranked = sorted((-score, uid) for uid, score in self.members.items())

    def expel(self, user_id: int) -> None:
        """Remove an agent whose skills no longer meet the requirement; their entries go stale."""
        if self.members.pop(user_id, None) is not None:
            self.rerank()

    def push(self, agent: AgentRecord) -> None:
        """Index the agent's current rank; called only while they are free."""
        heapq.heappush(self._heap, (-self.members[agent.user_id], len(agent.calls), agent.idle_since_ms,
                                    agent.user_id, agent.version))
        if len(self._heap) > 4 * self.free + 64:
            self._compact()

    def _live(self, entry: Entry) -> bool:
        agent = self._agents.get(entry[3])
        return agent is not None and agent.version == entry[4] and agent.free and entry[3] in self.members

    def _compact(self) -> None:
        self._heap = [e for e in self._heap if self._live(e)]
        heapq.heapify(self._heap)

    def best(self, skip: Collection[int], limit: int) -> list[Entry]:
        """Up to ``limit`` free agents in rank order, leaving out ``skip``; O((limit + |skip|) log n)."""
        heap = self._heap
        taken: list[Entry] = []
        aside: list[Entry] = []
        while heap and len(taken) < limit:
            entry = heapq.heappop(heap)
            if not self._live(entry):
                continue  # stale: a newer entry exists or the agent is busy
            (aside if entry[3] in skip else taken).append(entry)
        for entry in taken:
            heapq.heappush(heap, entry)  # the one that gets reserved goes stale by its version
        for entry in aside:
            heapq.heappush(heap, entry)
        return taken

    def busy(self, down_to: int | None, seen: Collection[int], limit: int) -> list[m.Exclusion]:
        """The best-ranked members who are busy, down to score ``down_to``, with a bounded look."""
        out: list[m.Exclusion] = []
        looked = 0
        # Among many equal scores the free ones are passed over; bound the look so an explanation
        # never costs more than a few times its length.
        for neg, uid in self.ranked:
            if (down_to is not None and -neg < down_to) or len(out) >= limit or looked >= 4 * limit:
                break
            looked += 1
            if uid in seen:
                continue
            reason = self._agents[uid].busy_reason()
            if reason is not None:
                out.append(m.Exclusion(uid, reason))
        return out
