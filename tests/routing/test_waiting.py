"""What waits for whom: the tier bonus in the waiting order, ring timeouts, overflow, wrap-up and presence."""

from __future__ import annotations

from callcenter.routing import (
    MISSED_CALLS,
    Action,
    Presence,
    QueueConfig,
    Rule,
    WaitingCall,
    WorkState,
)
from tests.routing.support import BILLING, agent, at, call, dials, make, reasons

# Waiting order with the tier bonus

def test_a_later_a_tier_caller_overtakes_a_c_tier_caller_within_the_bonus() -> None:
    router = make([agent(1, active=frozenset({"x"}))],
                  waiting=[call("c", arrived_s=0, customer_tier="C"), call("a", arrived_s=59, customer_tier="A")])
    offer = router.ended("x", 1, at(100), wrap_up=False)
    assert dials(offer) == [("a", 1)]
    assert (offer[0].rule, offer[0].waited_ms, offer[0].bonus_ms) == (Rule.LONGEST_WAITING, 41_000, 60_000)


def test_beyond_the_bonus_the_earlier_caller_keeps_their_turn() -> None:
    router = make([agent(1, active=frozenset({"x"}))],
                  waiting=[call("c", arrived_s=0, customer_tier="C"), call("a", arrived_s=61, customer_tier="A"),
                           call("b", arrived_s=15, customer_tier="B")])
    assert dials(router.ended("x", 1, at(100), wrap_up=False)) == [("b", 1)]  # 85 + 20 s beats 100 and 39 + 60


def test_the_bonus_table_is_the_queues_own() -> None:
    flat = QueueConfig("billing", "Billing", {"billing": 2}, tier_bonus_s={})
    router = make([agent(1, active=frozenset({"x"}))], [flat],
                  waiting=[call("c", arrived_s=0, customer_tier="C"), call("a", arrived_s=30, customer_tier="A")])
    assert dials(router.ended("x", 1, at(100), wrap_up=False)) == [("c", 1)]


def test_a_freed_agent_takes_the_longest_wait_across_their_queues_only() -> None:
    sales = QueueConfig("sales", "Sales", {"sales": 1})
    router = make([agent(1, {"billing": 3}, active=frozenset({"x"}))], [BILLING, sales],
                  waiting=[call("s", "sales", arrived_s=0), call("b", arrived_s=50)])
    assert dials(router.ended("x", 1, at(100), wrap_up=False)) == [("b", 1)]

# Ring timeout

def test_a_ring_timeout_goes_to_the_next_agent_and_max_no_answer_sets_away() -> None:
    router = make([agent(1, idle_s=0), agent(2, idle_s=10)])
    assert router.decide(call("c1"), at(100)).agent_id == 1
    out = router.ring_timeout("c1", 1, at(120))
    assert dials(out) == [("c1", 2)]
    assert reasons(out[0])[1] == "already_missed"
    assert router.agent(1).missed_in_row == 1
    assert router.agent(1).presence is Presence.AVAILABLE
    assert router.decide(call("c2"), at(121)).agent_id == 1
    out = router.ring_timeout("c2", 1, at(141))
    state = router.agent(1)
    assert (state.presence, state.away_reason, state.missed_in_row) == (Presence.AWAY, MISSED_CALLS, 2)
    assert (out[0].action, out[0].rule) == (Action.QUEUE, Rule.NO_AGENT_FREE)
    assert router.call("c2") == WaitingCall("c2", "billing", at(100), attempts=1, excluded=frozenset({1}))
    assert router.set_presence(1, Presence.AVAILABLE, at(200)) == []  # c2 waits, but 1 missed it
    assert router.agent(1).missed_in_row == 0


def test_an_answer_resets_the_misses_and_a_late_timer_changes_nothing() -> None:
    router = make([agent(1)], [QueueConfig("billing", "Billing", {"billing": 1}, max_no_answer=2)])
    router.decide(call("c1"), at(100))
    router.ring_timeout("c1", 1, at(120))
    assert router.ring_timeout("c1", 1, at(121)) == []  # c1 waits now: a duplicate timer
    router.decide(call("c2"), at(121))
    router.answered("c2", 1, at(125))
    assert router.agent(1).missed_in_row == 0
    assert router.ring_timeout("c2", 1, at(141)) == []
    assert router.agent(1).work is WorkState.ON_CALL


def test_an_agent_who_missed_is_offered_another_waiting_call() -> None:
    router = make([agent(1), agent(2, active=frozenset({"x"}))])
    router.decide(call("c1", arrived_s=100), at(100))
    router.decide(call("c2", arrived_s=101), at(101))
    out = router.ring_timeout("c1", 1, at(120))
    assert (out[0].call_id, out[0].action) == ("c1", Action.QUEUE)
    assert dials(out[1:]) == [("c2", 1)]

# Overflow

def test_a_full_queue_overflows_to_its_target_or_rejects() -> None:
    full = QueueConfig("billing", "Billing", {"billing": 2}, max_queue=1, overflow="voicemail")
    router = make([agent(1, active=frozenset({"x"}))], [full])
    assert router.decide(call("c1"), at(100)).action is Action.QUEUE
    over = router.decide(call("c2"), at(100))
    assert (over.action, over.rule, over.target) == (Action.OVERFLOW, Rule.OVERFLOW_MAX_QUEUE, "voicemail")
    assert router.call("c2") is None
    closed = QueueConfig("billing", "Billing", {"billing": 2}, max_queue=0)
    router = make([agent(1, active=frozenset({"x"}))], [closed])
    refused = router.decide(call("c1"), at(100))
    assert (refused.action, refused.rule, refused.target) == (Action.REJECT, Rule.OVERFLOW_MAX_QUEUE, None)


def test_a_call_back_from_a_missed_ring_is_not_refused_by_a_full_queue() -> None:
    full = QueueConfig("billing", "Billing", {"billing": 2}, max_queue=1, overflow="callback")
    router = make([agent(1), agent(2, active=frozenset({"x"}))], [full])
    router.decide(call("c1", arrived_s=100), at(100))
    assert router.decide(call("c2", arrived_s=101), at(101)).action is Action.QUEUE
    out = router.ring_timeout("c1", 1, at(120))
    assert [(d.call_id, d.action, d.agent_id) for d in out] == [("c1", Action.QUEUE, None), ("c2", Action.DIAL, 1)]
    late = router.decide(call("c3"), at(121))
    assert (late.action, late.target) == (Action.OVERFLOW, "callback")


def test_calls_past_max_wait_overflow_but_a_ringing_call_waits_for_its_timeout() -> None:
    timed = QueueConfig("billing", "Billing", {"billing": 2}, max_wait_s=60, overflow="sales")
    router = make([agent(1, active=frozenset({"x"})), agent(2, presence=Presence.AWAY)], [timed],
                  waiting=[call("old", arrived_s=0), call("new", arrived_s=50)])
    assert router.overflow_due(at(59)) == []
    due = router.overflow_due(at(61))
    assert [(d.call_id, d.action, d.rule, d.target) for d in due] == \
        [("old", Action.OVERFLOW, Rule.OVERFLOW_MAX_WAIT, "sales")]
    assert router.call("old") is None
    router.set_presence(2, Presence.AVAILABLE, at(100))  # takes "new" and rings past its deadline
    assert router.overflow_due(at(200)) == []
    back = router.ring_timeout("new", 2, at(200))[0]
    assert (back.action, back.rule, back.target) == (Action.OVERFLOW, Rule.OVERFLOW_MAX_WAIT, "sales")


def test_a_free_agent_is_dialled_even_past_max_wait() -> None:
    timed = QueueConfig("billing", "Billing", {"billing": 2}, max_wait_s=10)
    router = make([agent(1)], [timed])
    assert router.decide(call("late", arrived_s=0), at(100)).action is Action.DIAL


def test_an_unknown_queue_is_rejected() -> None:
    decision = make([agent(1)]).decide(call("c1", "nowhere"), at(100))
    assert (decision.action, decision.rule) == (Action.REJECT, Rule.UNKNOWN_QUEUE)

# Wrap-up, presence and removals

def test_wrap_up_holds_the_agent_until_done_then_offers_the_longest_wait() -> None:
    router = make([agent(1)])
    router.decide(call("c1"), at(100))
    router.answered("c1", 1, at(105))
    router.decide(call("c2", arrived_s=110), at(110))
    assert router.ended("c1", 1, at(200)) == []
    assert router.agent(1).work is WorkState.WRAP_UP
    assert router.decide(call("c3", arrived_s=201), at(201)).action is Action.QUEUE
    offer = router.wrap_up_done(1, at(230))
    assert dials(offer) == [("c2", 1)]
    assert router.wrap_up_done(1, at(231)) == []
    assert router.ended("c1", 1, at(232)) == []  # a duplicate end


def test_going_away_while_ringing_routes_the_call_again() -> None:
    router = make([agent(1, idle_s=0), agent(2, idle_s=10)])
    router.decide(call("c1"), at(100))
    out = router.set_presence(1, Presence.AWAY, at(101), reason="break")
    assert dials(out) == [("c1", 2)]
    assert (router.agent(1).presence, router.agent(1).away_reason) == (Presence.AWAY, "break")
    assert router.agent(1).missed_in_row == 0


def test_coming_back_counts_idle_from_now() -> None:
    router = make([agent(1, idle_s=0, presence=Presence.OFFLINE), agent(2, idle_s=50)])
    router.set_presence(1, Presence.AVAILABLE, at(80))
    assert router.agent(1).idle_since_ms == at(80)
    assert router.decide(call("c1"), at(100)).agent_id == 2


def test_a_caller_hanging_up_frees_the_rung_agent_for_the_next_call() -> None:
    router = make([agent(1)])
    router.decide(call("c1"), at(100))
    router.decide(call("c2"), at(101))
    assert dials(router.remove_call("c1", at(102))) == [("c2", 1)]
    assert router.remove_call("c1", at(103)) == []


def test_an_answer_by_someone_else_frees_the_rung_agent() -> None:
    router = make([agent(1), agent(2, active=frozenset({"x"}))])
    router.decide(call("c1"), at(100))
    router.decide(call("c2"), at(100))
    out = router.answered("c1", 2, at(101))  # picked up at another phone on the PBX
    assert dials(out) == [("c2", 1)]
    assert router.call("c1") is None
    assert router.agent(2).active == frozenset({"x", "c1"})
