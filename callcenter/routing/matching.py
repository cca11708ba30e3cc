"""The routing decision: agents in skill pools, calls in the waiting line, and who gets which call.

Costs, for n agents, W waiting calls, k = ``explain_limit``, an agent skilled for Q_a queues and a
call already missed by r agents (stale heap entries are dropped once each, so amortized O(1)):

- ``decide``: O((k + r) log n) heap work and an explanation look at no more than 4k agents.
- ``agent_freed``: O(Q_a log W), one peek at the head of each queue the agent is skilled for.
- any change of an agent's state: O(Q_a log n) to re-index them in their skill pools.

Nothing scans all agents or all calls; ``load`` and ``put_agent`` are the only O(n) steps.
"""

from __future__ import annotations

from collections.abc import Iterable

from callcenter.errors import NotFound
from callcenter.routing import models as m
from callcenter.routing.models import (
    Action,
    AgentState,
    Candidate,
    Decision,
    Exclusion,
    QueueConfig,
    Rule,
    WaitingCall,
)
from callcenter.routing.pool import AgentRecord, Pool, Requirement
from callcenter.routing.waiting import CallRecord, WaitingLine


class Matcher:
    """The state the router decides over and the decision itself; ``Router`` adds the events."""

    def __init__(self, explain_limit: int = 5) -> None:
        self.explain_limit = explain_limit
        self._agents: dict[int, AgentRecord] = {}
        self._queues: dict[str, QueueConfig] = {}
        self._pools: dict[Requirement, Pool] = {}
        self._pool_of: dict[str, Pool] = {}
        self._line = WaitingLine()

    def load(self, agents: Iterable[AgentState], queues: Iterable[QueueConfig],
             waiting: Iterable[WaitingCall]) -> None:
        """Rebuild everything from stored state; calls in unknown queues are left out.

        A call with ``ringing_agent_id`` keeps its reservation; the rest wait in their original order.
        Afterwards ``match_waiting`` offers waiting calls to agents who are already free.
        """
        self._agents = {}
        self._queues = {q.id: q for q in queues}
        self._pools = {}
        self._pool_of = {}
        self._line = WaitingLine()
        for queue in self._queues.values():
            requirement = frozenset(queue.skills.items())
            pool = self._pools.get(requirement)
            if pool is None:
                pool = self._pools[requirement] = Pool(requirement, self._agents)
            pool.queue_ids.append(queue.id)
            self._pool_of[queue.id] = pool
        for state in agents:
            rec = self._agents[state.user_id] = AgentRecord.from_state(state)
            for pool in self._pools.values():
                pool.admit(rec)
        for pool in self._pools.values():
            pool.rerank()
        for call in waiting:
            home = self._queues.get(call.queue_id)
            if home is None:
                continue
            held = self._line.record(call, home)
            rung = self._agents.get(call.ringing_agent_id) if call.ringing_agent_id is not None else None
            if rung is not None and rung.ringing is None:
                held.ringing, held.admitted, rung.ringing = rung.user_id, True, held.call_id
            else:
                self._line.enqueue(held, home.max_wait_s)
        for agent in self._agents.values():
            self._index(agent)

    def match_waiting(self, now_ms: int) -> list[Decision]:
        """Offer waiting calls, longest effective wait first, to free agents; for use right after ``load``."""
        out = []
        for rec in self._line.in_order():
            decision = self._route(rec, now_ms)
            if decision.action is not Action.QUEUE:
                out.append(decision)
        return out

    def put_agent(self, state: AgentState, now_ms: int) -> list[Decision]:
        """Add an agent, or change a known one's skills, capacity and teams (their live state stays)."""
        agent = self._agents.get(state.user_id)
        if agent is None:
            agent = self._agents[state.user_id] = AgentRecord.from_state(state)
        else:
            for pool in agent.pools:
                pool.expel(agent.user_id)
                pool.free -= agent.free
            agent.pools, agent.free, agent.ranked_as = [], False, (-1, -1)
            agent.skills, agent.capacity, agent.teams = dict(state.skills), state.capacity, state.teams
        for pool in self._pools.values():
            if pool.admit(agent):
                pool.rerank()
        self._index(agent)
        return self._offer(agent, now_ms)

    def decide(self, call: WaitingCall, now_ms: int) -> Decision:
        """Choose an agent for a call and reserve them, or queue the call, or overflow it.

        The dedicated agent first when free and eligible; else the free agent with all the queue's
        skills ranked best by proficiency (the sum of their levels), fewest calls, longest idle.
        Asked again about a known call, it answers from the call's current state.
        """
        rec = self._line.calls.get(call.call_id)
        if rec is None:
            queue = self._queues.get(call.queue_id)
            if queue is None:
                return Decision(call.call_id, call.queue_id, Action.REJECT, Rule.UNKNOWN_QUEUE, now_ms)
            rec = self._line.record(call, queue)
        elif rec.ringing is not None:
            return Decision(rec.call_id, rec.queue_id, Action.DIAL, Rule.ALREADY_RINGING, now_ms,
                            agent_id=rec.ringing, waited_ms=now_ms - rec.enqueued_at_ms, bonus_ms=rec.bonus_ms)
        return self._route(rec, now_ms)

    def agent_freed(self, user_id: int, now_ms: int) -> Decision | None:
        """Offer a free agent the waiting call they are skilled for that has the longest effective wait.

        Effective wait = now − enqueued at + the queue's tier bonus. Calls whose customer this agent
        is dedicated to come first. None when the agent is not free or nothing suits them.
        """
        agent = self._agent(user_id)
        if not agent.free:
            return None
        best: CallRecord | None = None
        for rec in self._line.dedicated_to(user_id):
            if user_id not in rec.missed and user_id in self._pool_of[rec.queue_id].members \
                    and (best is None or rec.rank < best.rank):
                best = rec
        rule = Rule.DEDICATED_AGENT
        if best is None:
            rule = Rule.LONGEST_WAITING
            for pool in agent.pools:
                for queue_id in pool.queue_ids:
                    head = self._line.longest(queue_id, user_id)
                    if head is not None and (best is None or head.rank < best.rank):
                        best = head
        if best is None:
            return None
        pool = self._pool_of[best.queue_id]
        return self._dial(best, agent, rule, (self._candidate(agent, pool, now_ms),), (), pool, now_ms)

    def _agent(self, user_id: int) -> AgentRecord:
        agent = self._agents.get(user_id)
        if agent is None:
            raise NotFound(f"agent {user_id} is not known to the router")
        return agent

    def _index(self, agent: AgentRecord) -> None:
        # One place decides whether an agent is free to ring and re-indexes them when their rank moves.
        free = agent.busy_reason() is None
        ranked_as = (len(agent.calls), agent.idle_since_ms)
        if free == agent.free and (not free or ranked_as == agent.ranked_as):
            return
        agent.version += 1
        if free != agent.free:
            for pool in agent.pools:
                pool.free += 1 if free else -1
            agent.free = free
        agent.ranked_as = ranked_as
        if free:
            for pool in agent.pools:
                pool.push(agent)

    def _why_not(self, agent: AgentRecord, rec: CallRecord) -> str | None:
        # Skills first: they say why the agent never fits; a miss says more than the away it caused.
        gap = m.skill_gap(agent.skills, self._queues[rec.queue_id].skills)
        if gap is not None:
            return gap
        return m.ALREADY_MISSED if agent.user_id in rec.missed else agent.busy_reason()

    def _candidate(self, agent: AgentRecord, pool: Pool, now_ms: int) -> Candidate:
        return Candidate(agent.user_id, pool.members.get(agent.user_id, 0),
                         max(0, now_ms - agent.idle_since_ms) / 1000, len(agent.calls))

    def _route(self, rec: CallRecord, now_ms: int) -> Decision:
        pool = self._pool_of[rec.queue_id]
        limit = self.explain_limit
        excluded: list[Exclusion] = []
        seen = set(rec.missed)
        if rec.dedicated_agent_id is not None and rec.dedicated_agent_id in self._agents:
            dedicated = self._agents[rec.dedicated_agent_id]
            reason = self._why_not(dedicated, rec)
            if reason is None:
                return self._dial(rec, dedicated, Rule.DEDICATED_AGENT,
                                  (self._candidate(dedicated, pool, now_ms),), (), pool, now_ms)
            excluded.append(Exclusion(dedicated.user_id, reason))
            seen.add(dedicated.user_id)
        excluded += [Exclusion(uid, m.ALREADY_MISSED) for uid in sorted(rec.missed)
                     if uid != rec.dedicated_agent_id]
        entries = pool.best(rec.missed, limit)
        if not entries:
            excluded += pool.busy(None, seen, limit)
            return self._wait(rec, tuple(excluded), now_ms)
        excluded += pool.busy(-entries[0][0], seen, limit)
        candidates = tuple(Candidate(e[3], -e[0], max(0, now_ms - e[2]) / 1000, e[1]) for e in entries)
        return self._dial(rec, self._agents[entries[0][3]], Rule.SKILLS_LONGEST_IDLE, candidates,
                          tuple(excluded), pool, now_ms)

    def _dial(self, rec: CallRecord, agent: AgentRecord, rule: Rule, candidates: tuple[Candidate, ...],
              excluded: tuple[Exclusion, ...], pool: Pool, now_ms: int) -> Decision:
        free = pool.free
        self._line.unqueue(rec)
        rec.ringing, rec.admitted, agent.ringing = agent.user_id, True, rec.call_id
        rec.attempts += 1
        self._index(agent)  # reserved: no longer free, so no second call can pick them
        return Decision(rec.call_id, rec.queue_id, Action.DIAL, rule, now_ms, agent_id=agent.user_id,
                        candidates=candidates, excluded=excluded, qualified=len(pool.members), free=free,
                        waited_ms=now_ms - rec.enqueued_at_ms, bonus_ms=rec.bonus_ms)

    def _wait(self, rec: CallRecord, excluded: tuple[Exclusion, ...], now_ms: int) -> Decision:
        queue = self._queues[rec.queue_id]
        pool = self._pool_of[rec.queue_id]
        waited = now_ms - rec.enqueued_at_ms
        rule = Rule.NO_AGENT_FREE
        if queue.max_wait_s is not None and waited >= 1000 * queue.max_wait_s:
            rule = Rule.OVERFLOW_MAX_WAIT
        elif not rec.admitted and queue.max_queue is not None \
                and self._line.counts.get(queue.id, 0) >= queue.max_queue:
            rule = Rule.OVERFLOW_MAX_QUEUE
        if rule is Rule.NO_AGENT_FREE:
            action, target = Action.QUEUE, None
            if not rec.waiting:
                self._line.enqueue(rec, queue.max_wait_s)
        else:
            # With nowhere to overflow to, the caller is refused rather than held past the queue's limits.
            action, target = (Action.OVERFLOW, queue.overflow) if queue.overflow else (Action.REJECT, None)
            self._line.drop(rec)
        return Decision(rec.call_id, rec.queue_id, action, rule, now_ms, target=target, excluded=excluded,
                        qualified=len(pool.members), free=pool.free, waited_ms=waited, bonus_ms=rec.bonus_ms)

    def _release(self, user_id: int, now_ms: int) -> list[Decision]:
        agent = self._agents.get(user_id)
        if agent is None:
            return []
        agent.ringing = None
        self._index(agent)
        return self._offer(agent, now_ms)

    def _offer(self, agent: AgentRecord, now_ms: int) -> list[Decision]:
        decision = self.agent_freed(agent.user_id, now_ms)
        return [decision] if decision is not None else []
