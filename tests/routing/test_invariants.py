"""Under any events: no agent is reserved for two calls, none idles while a call they could take waits."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callcenter.routing import (
    Action,
    AgentState,
    Candidate,
    Decision,
    Presence,
    QueueConfig,
    Router,
    WaitingCall,
    WorkState,
)
from tests.routing.support import T0

SKILLS = ("billing", "sales")
QUEUES = [QueueConfig("billing", "Billing", {"billing": 2}, max_no_answer=2, max_queue=4, overflow="voicemail"),
          QueueConfig("sales", "Sales", {"sales": 1}, max_wait_s=30),
          QueueConfig("any", "Any")]
AGENTS = 5

op = st.one_of(
    st.tuples(st.just("call"), st.sampled_from([q.id for q in QUEUES]), st.sampled_from([None, "A", "B", "C"]),
              st.one_of(st.none(), st.integers(0, AGENTS - 1))),
    st.tuples(st.sampled_from(["timeout", "answer", "hangup"]), st.integers(0, 40)),
    st.tuples(st.sampled_from(["end", "end_no_wrap", "wrap_done", "away", "available", "offline"]),
              st.integers(0, AGENTS - 1)),
    st.tuples(st.just("tick"), st.integers(1, 20)),
)


def check_invariants(router: Router, capacities: list[int], decisions: list[Decision]) -> None:
    held = router.calls()
    rung = [c.ringing_agent_id for c in held if c.ringing_agent_id is not None]
    assert len(rung) == len(set(rung)), "an agent rings for two calls"
    for uid, capacity in enumerate(capacities):
        state = router.agent(uid)
        assert (state.work is WorkState.RINGING) == (uid in rung)
        assert len(state.active) + (uid in rung) <= capacity
    dialled = [d.agent_id for d in decisions if d.action is Action.DIAL]
    assert len(dialled) == len(set(dialled)), "one event dialled an agent twice"
    for waiting in (c for c in held if c.ringing_agent_id is None):
        for uid in range(len(capacities)):
            assert not isinstance(router.eligibility(uid, waiting.call_id, 0), Candidate), \
                f"agent {uid} idles while {waiting.call_id} waits"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(skills=st.lists(st.fixed_dictionaries({s: st.integers(1, 5) for s in SKILLS}), min_size=AGENTS,
                       max_size=AGENTS),
       capacities=st.lists(st.integers(1, 2), min_size=AGENTS, max_size=AGENTS),
       ops=st.lists(op, max_size=60))
def test_no_agent_is_ever_reserved_for_two_calls(skills: list[dict[str, int]], capacities: list[int],
                                                 ops: list[tuple[Any, ...]]) -> None:
    router = Router(explain_limit=3)
    router.load([AgentState(i, Presence.AVAILABLE, skills=skills[i], capacity=capacities[i]) for i in range(AGENTS)],
                QUEUES, [])
    now, serial, checked = T0, 0, 0
    for step in ops:
        kind = step[0]
        decisions: list[Decision] = []
        held = router.calls()
        if kind == "call":
            serial += 1
            decisions = [router.decide(WaitingCall(f"c{serial}", step[1], now, step[2], step[3]), now)]
        elif kind in {"timeout", "answer", "hangup"}:
            if not held:
                continue
            target = held[step[1] % len(held)]
            if kind == "hangup":
                decisions = router.remove_call(target.call_id, now)
            elif target.ringing_agent_id is None:
                continue
            elif kind == "timeout":
                decisions = router.ring_timeout(target.call_id, target.ringing_agent_id, now)
            else:
                decisions = router.answered(target.call_id, target.ringing_agent_id, now)
        elif kind in {"end", "end_no_wrap"}:
            active = sorted(router.agent(step[1]).active)
            if active:
                decisions = router.ended(active[0], step[1], now, wrap_up=kind == "end")
        elif kind == "wrap_done":
            decisions = router.wrap_up_done(step[1], now)
        elif kind == "tick":
            now += step[1] * 1000
            decisions = router.overflow_due(now)
        else:
            decisions = router.set_presence(step[1], Presence(kind), now)
        check_invariants(router, capacities, decisions)
        checked += 1
    assert checked <= len(ops)  # the invariants above ran after every operation that reached the router
