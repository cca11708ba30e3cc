"""The router's decisions: who is dialled, who is excluded and why, reservations and capacity."""

from __future__ import annotations

import pytest

from callcenter.errors import NotFound
from callcenter.routing import (
    Action,
    AgentState,
    Candidate,
    Exclusion,
    Presence,
    QueueConfig,
    Rule,
    WorkState,
)
from tests.routing.support import agent, at, call, dials, make, reasons

# Dedicated agent

def test_the_dedicated_agent_comes_first_even_when_others_rank_higher() -> None:
    router = make([agent(1, {"billing": 5}, idle_s=0), agent(2, {"billing": 2}, idle_s=90)])
    decision = router.decide(call("c1", dedicated_agent_id=2), at(100))
    assert (decision.action, decision.agent_id, decision.rule) == (Action.DIAL, 2, Rule.DEDICATED_AGENT)
    assert router.agent(2).work is WorkState.RINGING


def test_a_busy_or_unskilled_dedicated_agent_is_passed_over_with_the_reason() -> None:
    router = make([agent(1, idle_s=10), agent(2, active=frozenset({"other"})), agent(3, {"sales": 5})])
    busy = router.decide(call("c1", dedicated_agent_id=2), at(100))
    assert (busy.agent_id, busy.rule) == (1, Rule.SKILLS_LONGEST_IDLE)
    assert busy.excluded[0] == Exclusion(2, "on_call")
    router.remove_call("c1", at(100))
    unskilled = router.decide(call("c2", dedicated_agent_id=3), at(100))
    assert unskilled.agent_id == 1
    assert unskilled.excluded[0] == Exclusion(3, "missing_skill:billing")


def test_a_freed_dedicated_agent_takes_their_customer_before_a_longer_wait() -> None:
    router = make([agent(1, active=frozenset({"x"}))],
                  waiting=[call("old", arrived_s=10), call("vip", arrived_s=90, dedicated_agent_id=1)])
    offers = router.ended("x", 1, at(100), wrap_up=False)
    assert dials(offers) == [("vip", 1)]
    assert offers[0].rule is Rule.DEDICATED_AGENT

# Skills, proficiency, longest idle

def test_only_agents_with_every_skill_at_the_minimum_are_candidates() -> None:
    queue = QueueConfig("fr", "French billing", {"billing": 2, "french": 3})
    router = make([agent(1, {"billing": 5}, idle_s=0), agent(2, {"billing": 1, "french": 5}, idle_s=0),
                   agent(3, {"billing": 2, "french": 3}, idle_s=50)], [queue])
    decision = router.decide(call("c1", "fr"), at(100))
    assert decision.agent_id == 3
    assert [c.user_id for c in decision.candidates] == [3]
    assert (decision.qualified, decision.free) == (1, 1)
    assert router.eligibility(1, "c1", at(100)) == Exclusion(1, "missing_skill:french")
    assert router.eligibility(2, "c1", at(100)) == Exclusion(2, "proficiency_below:billing")


def test_proficiency_is_the_sum_over_the_queues_skills_and_beats_idle_time() -> None:
    queue = QueueConfig("fr", "French billing", {"billing": 1, "french": 1})
    # 4 + 4 outranks 5 + 2 (the best single skill would pick agent 1), which outranks idle time.
    router = make([agent(1, {"billing": 5, "french": 2}, idle_s=0), agent(2, {"billing": 4, "french": 4}, idle_s=90),
                   agent(3, {"billing": 1, "french": 1}, idle_s=0)], [queue])
    decision = router.decide(call("c1", "fr"), at(100))
    assert [(c.user_id, c.proficiency) for c in decision.candidates] == [(2, 8), (1, 7), (3, 2)]
    assert decision.agent_id == 2


def test_longest_idle_wins_among_equal_proficiency() -> None:
    router = make([agent(1, idle_s=40), agent(2, idle_s=10), agent(3, idle_s=25)])
    decision = router.decide(call("c1"), at(100))
    assert decision.agent_id == 2
    assert [(c.user_id, c.idle_s) for c in decision.candidates] == [(2, 90.0), (3, 75.0), (1, 60.0)]
    assert router.decide(call("c2"), at(100)).agent_id == 3


def test_a_queue_without_skills_takes_anyone_longest_idle_first() -> None:
    router = make([agent(1, {"sales": 1}, idle_s=50), agent(2, {}, idle_s=20)], [QueueConfig("any", "Any")])
    assert router.decide(call("c1", "any"), at(100)).agent_id == 2

# Exclusions

def test_every_exclusion_carries_its_reason() -> None:
    router = make([
        agent(1, presence=Presence.OFFLINE), agent(2, presence=Presence.AWAY, away_reason="lunch"),
        agent(3, work=WorkState.WRAP_UP), agent(4, active=frozenset({"x"})),
        agent(5, capacity=2, active=frozenset({"x", "y"})), agent(6, {"sales": 5}), agent(7, {"billing": 1}),
        agent(8, idle_s=0), agent(9, idle_s=5),
    ])
    first = router.decide(call("c1"), at(100))
    assert first.agent_id == 8
    ring = router.ring_timeout("c1", 8, at(120))[0]
    assert ring.agent_id == 9
    router.decide(call("c2"), at(120))  # rings nobody: 8 missed c1 but is free for c2
    assert router.agent(8).work is WorkState.RINGING
    expected = {1: "offline", 2: "away", 3: "wrap_up", 4: "on_call", 5: "at_capacity",
                6: "missing_skill:billing", 7: "proficiency_below:billing", 8: "already_missed", 9: "ringing"}
    got = {uid: router.eligibility(uid, "c1", at(125)) for uid in expected}
    assert {uid: e.reason for uid, e in got.items() if isinstance(e, Exclusion)} == expected
    # Skilled agents who could not take the call are in the decision itself, best-ranked first.
    assert reasons(ring) == {8: "already_missed", 3: "wrap_up", 4: "on_call", 5: "at_capacity",
                             1: "offline", 2: "away"}


def test_the_explanation_is_bounded_but_the_counts_are_whole() -> None:
    router = make([agent(i, presence=Presence.AWAY) for i in range(1, 50)] + [agent(50)], limit=3)
    decision = router.decide(call("c1"), at(100))
    assert decision.agent_id == 50
    assert len(decision.excluded) <= 3
    assert (decision.qualified, decision.free) == (50, 1)


def test_a_free_agent_is_a_candidate_with_what_ranked_them() -> None:
    router = make([agent(1, idle_s=40), agent(2, {"billing": 4}, idle_s=10)])
    assert router.decide(call("c1"), at(100)).agent_id == 2
    assert router.eligibility(1, "c1", at(100)) == Candidate(1, 3, 60.0, 0)
    assert router.eligibility(2, "c1", at(100)) == Exclusion(2, "ringing")
    with pytest.raises(NotFound):
        router.eligibility(1, "gone", at(100))
    with pytest.raises(NotFound):
        router.set_presence(99, Presence.AVAILABLE, at(100))

# Reservation

def test_a_reserved_agent_is_never_dialled_for_a_second_call() -> None:
    router = make([agent(1)])
    first = router.decide(call("c1"), at(100))
    second = router.decide(call("c2"), at(100))
    assert (first.action, first.agent_id) == (Action.DIAL, 1)
    assert (second.action, second.rule) == (Action.QUEUE, Rule.NO_AGENT_FREE)
    assert reasons(second) == {1: "ringing"}
    again = router.decide(call("c1"), at(101))
    assert (again.action, again.agent_id, again.rule) == (Action.DIAL, 1, Rule.ALREADY_RINGING)


def test_asking_again_about_a_waiting_call_keeps_its_place() -> None:
    router = make([agent(1, active=frozenset({"x"}))])
    router.decide(call("c1", arrived_s=10), at(10))
    router.decide(call("c2", arrived_s=20), at(20))
    assert router.decide(call("c1", arrived_s=10), at(30)).action is Action.QUEUE
    assert [c.call_id for c in router.calls()] == ["c1", "c2"]
    assert dials(router.ended("x", 1, at(40), wrap_up=False)) == [("c1", 1)]

# Capacity

def test_an_agent_with_two_lines_takes_a_second_call_after_answering_the_first() -> None:
    router = make([agent(1, capacity=2)], waiting=[])
    assert router.decide(call("c1"), at(100)).agent_id == 1
    assert router.decide(call("c2"), at(100)).action is Action.QUEUE  # never rung for two at once
    assert dials(router.answered("c1", 1, at(105))) == [("c2", 1)]
    router.answered("c2", 1, at(110))
    full = router.decide(call("c3"), at(110))
    assert reasons(full) == {1: "at_capacity"}
    assert dials(router.ended("c1", 1, at(120))) == [("c3", 1)]  # one line free: no wrap-up yet
    assert router.agent(1).active == frozenset({"c2"})


def test_fewer_calls_rank_before_longer_idle_among_equal_proficiency() -> None:
    router = make([agent(1, capacity=2, active=frozenset({"x"}), idle_s=0), agent(2, idle_s=50)])
    assert router.decide(call("c1"), at(100)).agent_id == 2

# Loading and changing agents

def test_load_keeps_a_ringing_reservation_and_match_waiting_fills_free_agents() -> None:
    router = make([agent(1, idle_s=0), agent(2, idle_s=10), agent(3, idle_s=20)],
                  waiting=[call("r", ringing_agent_id=1), call("w1", arrived_s=5), call("w2", arrived_s=1)])
    assert router.agent(1).work is WorkState.RINGING
    assert dials(router.match_waiting(at(100))) == [("w2", 2), ("w1", 3)]


def test_a_new_agent_or_new_skills_take_effect_at_once() -> None:
    router = make([agent(1, active=frozenset({"x"}))], waiting=[call("w", arrived_s=0)])
    assert dials(router.put_agent(agent(2, idle_s=10), at(100))) == [("w", 2)]
    router.put_agent(agent(1, {"sales": 5}, active=frozenset({"x"})), at(101))
    router.ended("x", 1, at(102), wrap_up=False)
    assert router.agent(1).skills == {"sales": 5}
    assert router.decide(call("c2"), at(103)).action is Action.QUEUE


def test_the_decision_payload_is_plain_data() -> None:
    router = make([agent(1, idle_s=40), agent(2, presence=Presence.AWAY)])
    payload = router.decide(call("c1"), at(100)).payload()
    assert payload["rule"] == "skills_longest_idle"
    assert payload["candidates"] == [{"user_id": 1, "proficiency": 3, "idle_s": 60.0, "calls": 0}]
    assert payload["excluded"] == [{"user_id": 2, "reason": "away"}]


def test_models_refuse_impossible_settings() -> None:
    with pytest.raises(ValueError, match="proficiency"):
        AgentState(1, skills={"billing": 6})
    with pytest.raises(ValueError, match="capacity"):
        AgentState(1, capacity=0)
    with pytest.raises(ValueError, match="overflow target"):
        QueueConfig("voicemail", "Voicemail")
    with pytest.raises(ValueError, match="itself"):
        QueueConfig("q", "Q", overflow="q")
