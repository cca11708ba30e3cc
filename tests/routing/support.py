"""Builders shared by the routing tests: agents, calls and a loaded router at a fixed start time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from callcenter.routing import Action, AgentState, Decision, Presence, QueueConfig, Router, WaitingCall

T0 = 1_767_225_600_000
BILLING = QueueConfig("billing", "Billing", {"billing": 2}, max_no_answer=2)


def at(seconds: float) -> int:
    return T0 + round(seconds * 1000)


def agent(uid: int, skills: Mapping[str, int] | None = None, idle_s: float = 0, *,
          presence: Presence = Presence.AVAILABLE, **fields: Any) -> AgentState:
    return AgentState(uid, presence, idle_since_ms=at(idle_s), skills=dict(skills or {"billing": 3}), **fields)


def call(call_id: str, queue: str = "billing", arrived_s: float = 100, **fields: Any) -> WaitingCall:
    return WaitingCall(call_id, queue, at(arrived_s), **fields)


def make(agents: Iterable[AgentState], queues: Iterable[QueueConfig] = (BILLING,),
         waiting: Iterable[WaitingCall] = (), limit: int = 20) -> Router:
    router = Router(explain_limit=limit)
    router.load(agents, queues, waiting)
    return router


def reasons(decision: Decision) -> dict[int, str]:
    return {e.user_id: e.reason for e in decision.excluded}


def dials(decisions: Iterable[Decision]) -> list[tuple[str, int | None]]:
    return [(d.call_id, d.agent_id) for d in decisions if d.action is Action.DIAL]
