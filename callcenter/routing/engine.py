"""The router: routing decisions over agents and waiting calls held in memory; pure computation, no I/O.

``Matcher`` (matching.py) holds the state and makes the decision; ``Router`` adds one method per
event that changes an agent or a call. See matching.py for what each step costs.
"""

from __future__ import annotations

from callcenter.errors import NotFound
from callcenter.routing.matching import Matcher
from callcenter.routing.models import (
    AgentState,
    Candidate,
    Decision,
    Exclusion,
    Presence,
    QueueConfig,
    WaitingCall,
    WorkState,
)

MISSED_CALLS = "missed_calls"  # the away reason set after ``max_no_answer`` misses in a row


class Router(Matcher):
    """Who gets which call: rebuilt by ``load``, then kept current by one method call per event.

    Every method that can leave an agent free to ring returns the offers it made (already
    reserved), so no agent idles while a call they could take waits. ``now_ms`` is always passed in.
    """

    def ring_timeout(self, call_id: str, user_id: int, now_ms: int) -> list[Decision]:
        """The agent let the call ring out: count the miss, maybe set them away, and route the call again.

        The call's new decision comes first; then, if the agent is still available, the offer of
        another waiting call to them. A late timer (the call was answered or left) changes nothing.
        """
        rec = self._line.calls.get(call_id)
        agent = self._agents.get(user_id)
        if rec is None or agent is None or rec.ringing != user_id:
            return []
        queue = self._queues[rec.queue_id]
        rec.ringing = agent.ringing = None
        rec.missed.add(user_id)
        agent.missed_in_row += 1
        if queue.max_no_answer and agent.missed_in_row >= queue.max_no_answer:
            agent.presence, agent.away_reason = Presence.AWAY, MISSED_CALLS
        self._index(agent)
        return [self._route(rec, now_ms), *self._offer(agent, now_ms)]

    def answered(self, call_id: str, user_id: int, now_ms: int) -> list[Decision]:
        """The agent took the call: it leaves the router, and a multi-line agent may be offered another."""
        agent = self._agent(user_id)
        if call_id in agent.calls:
            return []
        out: list[Decision] = []
        rec = self._line.calls.get(call_id)
        if rec is not None:
            self._line.drop(rec)
            if rec.ringing is not None and rec.ringing != user_id:
                out += self._release(rec.ringing, now_ms)  # answered elsewhere (a PBX-side pickup)
        if agent.ringing == call_id:
            agent.ringing = None
        agent.calls.add(call_id)
        agent.missed_in_row, agent.wrapping = 0, False
        self._index(agent)
        return out + self._offer(agent, now_ms)

    def ended(self, call_id: str, user_id: int, now_ms: int, *, wrap_up: bool = True) -> list[Decision]:
        """The agent's call ended; after their last call they wrap up, or are idle when ``wrap_up`` is off."""
        agent = self._agent(user_id)
        out = self.remove_call(call_id, now_ms)
        if call_id not in agent.calls:
            return out
        agent.calls.discard(call_id)
        if not agent.calls:
            agent.wrapping = wrap_up
            if not wrap_up:
                agent.idle_since_ms = now_ms
        self._index(agent)
        return out + self._offer(agent, now_ms)

    def wrap_up_done(self, user_id: int, now_ms: int) -> list[Decision]:
        """The agent finished wrapping up (disposition or timeout): idle from now, offered the next call."""
        agent = self._agent(user_id)
        if not agent.wrapping:
            return []
        agent.wrapping = False
        if not agent.calls:
            agent.idle_since_ms = now_ms
        self._index(agent)
        return self._offer(agent, now_ms)

    def set_presence(self, user_id: int, presence: Presence, now_ms: int,
                     reason: str | None = None) -> list[Decision]:
        """Change presence; a call ringing an agent who leaves is routed again, an agent who returns is offered one."""
        agent = self._agent(user_id)
        presence, was = Presence(presence), agent.presence
        agent.presence, agent.away_reason = presence, reason if presence is Presence.AWAY else None
        out: list[Decision] = []
        if presence is Presence.AVAILABLE and was is not Presence.AVAILABLE:
            agent.missed_in_row = 0
            if not agent.calls and not agent.wrapping:
                agent.idle_since_ms = now_ms  # longest idle counts from becoming available
        if presence is not Presence.AVAILABLE and agent.ringing is not None:
            rec = self._line.calls[agent.ringing]
            rec.ringing = agent.ringing = None
            self._index(agent)
            out.append(self._route(rec, now_ms))
        self._index(agent)
        return out + self._offer(agent, now_ms)

    def remove_call(self, call_id: str, now_ms: int) -> list[Decision]:
        """Forget a call (the caller hung up, or it was handled elsewhere); a rung agent is offered the next."""
        rec = self._line.calls.get(call_id)
        if rec is None:
            return []
        self._line.drop(rec)
        return self._release(rec.ringing, now_ms) if rec.ringing is not None else []

    def overflow_due(self, now_ms: int) -> list[Decision]:
        """Overflow the waiting calls that passed their queue's ``max_wait_s``; a ringing call is checked on return."""
        out = []
        for rec in self._line.due(now_ms):
            pool = self._pool_of[rec.queue_id]
            out.append(self._wait(rec, tuple(pool.busy(None, rec.missed, self.explain_limit)), now_ms))
        return out

    def eligibility(self, user_id: int, call_id: str, now_ms: int) -> Candidate | Exclusion:
        """Whether this agent could take this call now, and if not why: a supervisor's "why not them?"."""
        agent = self._agent(user_id)
        rec = self._line.calls.get(call_id)
        if rec is None:
            raise NotFound(f"call {call_id} is not waiting or ringing")
        reason = self._why_not(agent, rec)
        if reason is not None:
            return Exclusion(user_id, reason)
        return self._candidate(agent, self._pool_of[rec.queue_id], now_ms)

    def knows(self, user_id: int) -> bool:
        """True when the agent is routable (an enabled agent or supervisor)."""
        return user_id in self._agents

    def ringing_call(self, user_id: int) -> str | None:
        """The call reserved for an agent, if any."""
        agent = self._agents.get(user_id)
        return agent.ringing if agent is not None else None

    def queue(self, queue_id: str) -> QueueConfig | None:
        """A queue's routing settings."""
        return self._queues.get(queue_id)

    def forget_agent(self, user_id: int, now_ms: int) -> list[Decision]:
        """Take an agent out of routing (disabled, or no longer an agent); a call ringing them is routed again."""
        agent = self._agents.get(user_id)
        if agent is None:
            return []
        out = self.set_presence(user_id, Presence.OFFLINE, now_ms)
        for pool in agent.pools:
            pool.expel(user_id)
            pool.free -= agent.free
        del self._agents[user_id]
        return out

    def agent(self, user_id: int) -> AgentState:
        """One agent's current state."""
        return self._agent(user_id).snapshot()

    def work(self, user_id: int) -> WorkState:
        """One agent's work state (without copying the rest)."""
        return self._agent(user_id).work

    def on_call(self, user_id: int, call_id: str) -> bool:
        """True while the agent is on the call."""
        return call_id in self._agent(user_id).calls

    def call(self, call_id: str) -> WaitingCall | None:
        """A call the router holds (waiting or ringing), or None."""
        rec = self._line.calls.get(call_id)
        return rec.snapshot() if rec is not None else None

    def calls(self) -> list[WaitingCall]:
        """Every call the router holds: the waiting ones in their waiting order, then the ringing ones."""
        ringing = [r for r in self._line.calls.values() if not r.waiting]
        return [r.snapshot() for r in [*self._line.in_order(), *ringing]]
