"""The routing service over a real database: agents' states, routing rules, timers, wrap-up, the ledger."""

from __future__ import annotations

import json

import pytest

from callcenter.errors import Conflict, Invalid
from callcenter.routing.models import Action, Presence
from tests.routing.conftest import CALLER, Center


async def available(center: Center, *users: object) -> None:
    for user in users:
        await center.routing.set_presence(user.id, Presence.AVAILABLE, None)  # type: ignore[attr-defined]


async def test_the_dedicated_agent_is_rung_first(center: Center) -> None:
    await center.queue("sales", {"sales": 1})
    alice = await center.agent("alice", {"sales": 2})
    bob = await center.agent("bob", {"sales": 5})
    await available(center, bob, alice)
    await center.customer("Wang Fang", CALLER, dedicated=alice.id)
    _call_id, answer = await center.call("c1", "sales")
    assert (answer.action, answer.agent_id, answer.rule) == (Action.DIAL, alice.id, "dedicated_agent")
    assert await center.work(alice) == "ringing"


async def test_best_proficiency_then_longest_idle(center: Center) -> None:
    await center.queue("sales", {"sales": 1})
    alice = await center.agent("alice", {"sales": 3})
    bob = await center.agent("bob", {"sales": 5})
    carol = await center.agent("carol", {"sales": 5})
    await available(center, carol)
    center.clock.advance(60)
    await available(center, bob, alice)
    _c1, first = await center.call("c1", "sales")
    assert (first.agent_id, first.rule) == (carol.id, "skills_longest_idle")  # 5, idle longest
    _c2, second = await center.call("c2", "sales", caller="+8613900139000")
    assert second.agent_id == bob.id  # 5 beats alice's 3
    decision = (await center.routing.board.decisions(5, call_id=_c2))[0]
    assert [c["user_id"] for c in decision["candidates"]] == [bob.id, alice.id]
    assert {"user_id": carol.id, "reason": "ringing"} in decision["excluded"]


async def test_exclusions_name_their_reasons(center: Center) -> None:
    await center.queue("billing", {"billing": 3})
    away = await center.agent("away", {"billing": 5})
    low = await center.agent("low", {"billing": 2})
    await center.agent("none")
    await center.routing.set_presence(away.id, Presence.AWAY, "lunch")
    await available(center, low)
    call_id, answer = await center.call("c1", "billing")
    assert (answer.action, answer.rule) == (Action.QUEUE, "no_agent_free")
    assert answer.retry_after_s == 5
    decision = (await center.routing.board.decisions(5, call_id=call_id))[0]
    assert decision["excluded"] == [{"user_id": away.id, "reason": "away"}]
    assert decision["qualified"] == 1 and decision["free"] == 0
    low_fit = center.routing.router.eligibility(low.id, str(call_id), center.clock.now_ms())
    assert getattr(low_fit, "reason", None) == "proficiency_below:billing"


async def test_a_ring_timeout_moves_the_call_on_and_misses_set_the_agent_away(center: Center) -> None:
    await center.queue("sales", ring_timeout_s=15, max_no_answer=1)
    alice = await center.agent("alice")
    bob = await center.agent("bob")
    await available(center, alice)
    center.clock.advance(5)
    await available(center, bob)
    call_id, answer = await center.call("c1", "sales")
    assert answer.agent_id == alice.id
    assert await center.fire(14) == 0
    assert await center.fire(2) == 1
    again = await center.routing.route(call_id, "sales")
    assert (again.action, again.agent_id) == (Action.DIAL, bob.id)
    assert await center.presence(alice) == ("away", "missed_calls")
    assert await center.work(alice) == "idle"
    rules = [d["rule"] for d in await center.routing.board.decisions(10, call_id=call_id)]
    assert rules == ["skills_longest_idle", "skills_longest_idle"]


async def test_the_next_free_agent_gets_the_longest_effective_wait_with_the_tier_bonus(center: Center) -> None:
    await center.queue("sales", tier_bonus={"A": 60, "B": 20, "C": 0})
    alice = await center.agent("alice")
    await center.customer("Plain", "+8613700137000", tier="C")
    await center.customer("Valued", "+8613600136000", tier="A")
    c_call, first = await center.call("c1", "sales", caller="+8613700137000")
    center.clock.advance(30)
    a_call, second = await center.call("c2", "sales", caller="+8613600136000")
    assert first.action is Action.QUEUE and second.action is Action.QUEUE
    center.clock.advance(1)
    await available(center, alice)
    offered = await center.routing.route(a_call, "sales")
    assert (offered.action, offered.agent_id, offered.rule) == (Action.DIAL, alice.id, "longest_waiting")
    still = await center.routing.route(c_call, "sales")
    assert still.action is Action.QUEUE


async def test_overflow_after_max_wait_and_when_the_queue_is_full(center: Center) -> None:
    backup = await center.queue("backup")
    await center.queue("sales", max_wait_s=30, max_queue=1, overflow_action="queue", overflow_queue_id=backup)
    bob = await center.agent("bob")
    first_id, first = await center.call("c1", "sales")
    assert first.action is Action.QUEUE
    center.clock.advance(1)
    _second_id, second = await center.call("c2", "sales", caller="+8613900139000")
    assert (second.action, second.target, second.rule) == (Action.OVERFLOW, "backup", "overflow_max_queue")
    await center.fire(31)
    moved = await center.routing.route(first_id, "sales")
    assert (moved.action, moved.queue) == (Action.QUEUE, "backup")  # it waits in the overflow queue
    await available(center, bob)
    dialled = await center.routing.route(first_id, "sales")  # it waited longest, in sales then backup
    assert (dialled.action, dialled.agent_id, dialled.queue) == (Action.DIAL, bob.id, "backup")


async def test_a_call_with_nowhere_to_overflow_goes_to_voicemail(center: Center) -> None:
    await center.queue("night", max_wait_s=10, overflow_action="voicemail")
    call_id, answer = await center.call("c1", "night")
    assert answer.action is Action.QUEUE
    await center.fire(11)
    final = await center.routing.route(call_id, "night")
    assert (final.action, final.target) == (Action.OVERFLOW, "voicemail")


async def answered_and_ended(center: Center, user_name: str, queue: str) -> int:
    call_id, answer = await center.call("c1", queue)
    assert answer.action is Action.DIAL
    center.clock.advance(5)
    await center.event("answered", "c1", agent=user_name)
    center.clock.advance(120)
    await center.event("ended", "c1", cause="normalClearing")
    return call_id


async def test_wrap_up_ends_with_a_disposition_of_the_queue(center: Center) -> None:
    queue_id = await center.queue("sales", wrap_up_s=120)
    solved = await center.disposition(queue_id, "solved", fcr=True)
    other_queue = await center.queue("other")
    foreign = await center.disposition(other_queue, "elsewhere")
    alice = await center.agent("alice")
    await available(center, alice)
    call_id = await answered_and_ended(center, "alice", "sales")
    state = await center.routing.agent_state(alice.id)
    assert state["work"] == "wrap_up" and state["wrap_up"]["call_id"] == call_id
    assert [d["code"] for d in state["wrap_up"]["dispositions"]] == ["solved"]
    assert state["wrap_up"]["due_at"] == center.clock.now_ms() + 120_000
    with pytest.raises(Invalid) as missing:
        await center.routing.wrap_up(alice.id, call_id, None, "notes")
    assert missing.value.fields[0].loc[-1] == "disposition_id"
    with pytest.raises(Invalid):
        await center.routing.wrap_up(alice.id, call_id, foreign, None)
    center.clock.advance(20)
    done = await center.routing.wrap_up(alice.id, call_id, solved, "Refund sent")
    assert done["work"] == "idle"
    row = await center.db.fetchone("SELECT disposition, first_contact_resolved, notes, wrap_up_s FROM calls"
                                   " WHERE id = ?", (call_id,))
    assert row is not None
    assert (row["disposition"], bool(row["first_contact_resolved"]), row["notes"], row["wrap_up_s"]) == \
        ("solved", True, "Refund sent", 20.0)
    with pytest.raises(Conflict):
        await center.routing.wrap_up(alice.id, call_id, solved, None)
    assert await center.fire(200) == 0  # the timeout was disarmed


async def test_wrap_up_times_out(center: Center) -> None:
    await center.queue("sales", wrap_up_s=30)
    alice = await center.agent("alice")
    await available(center, alice)
    call_id = await answered_and_ended(center, "alice", "sales")
    assert await center.fire(29) == 0
    assert await center.work(alice) == "wrap_up"
    assert await center.fire(2) == 1
    assert await center.work(alice) == "idle"
    row = await center.db.fetchone("SELECT disposition_id, wrap_up_s FROM calls WHERE id = ?", (call_id,))
    assert row is not None and row["disposition_id"] is None and row["wrap_up_s"] == 31.0


async def test_the_freed_agent_is_offered_the_waiting_call_after_wrap_up(center: Center) -> None:
    await center.queue("sales", wrap_up_s=10)
    alice = await center.agent("alice")
    await available(center, alice)
    await answered_and_ended(center, "alice", "sales")
    waiting_id, waiting = await center.call("c2", "sales", caller="+8613900139000")
    assert waiting.action is Action.QUEUE
    await center.fire(11)
    offered = await center.routing.route(waiting_id, "sales")
    assert (offered.action, offered.agent_id) == (Action.DIAL, alice.id)


async def test_a_scripted_day_gives_exact_time_in_state_and_occupancy(center: Center) -> None:
    queue_id = await center.queue("sales", wrap_up_s=600)
    done = await center.disposition(queue_id, "done")
    alice = await center.agent("alice")
    start = center.clock.now_ms()
    await available(center, alice)                       # idle 3600 s
    center.clock.advance(3600)
    call_id, _ = await center.call("c1", "sales")        # ringing 10 s
    center.clock.advance(10)
    await center.event("answered", "c1", agent="alice")  # on call 300 s
    center.clock.advance(300)
    await center.event("ended", "c1")                    # wrap-up 60 s
    center.clock.advance(60)
    await center.routing.wrap_up(alice.id, call_id, done, None)
    center.clock.advance(1800)                           # idle 1800 s
    await center.routing.set_presence(alice.id, Presence.AWAY, "lunch")
    center.clock.advance(3600)                           # away 3600 s
    await available(center, alice)
    center.clock.advance(600)                            # idle 600 s
    await center.routing.set_presence(alice.id, Presence.OFFLINE, None)
    center.clock.advance(1000)                           # offline 1000 s
    end = center.clock.now_ms()
    totals = await center.routing.board.time_in_state(alice.id, start, end)
    assert totals["presence"] == {"offline": 1000, "available": 6370, "away": 3600}
    assert totals["work"] == {"idle": 3600 + 1800 + 3600 + 600 + 1000, "ringing": 10, "on_call": 300,
                              "wrap_up": 60}
    assert totals["away_reasons"] == {"lunch": 3600}
    assert (totals["handling_s"], totals["ready_s"]) == (360, 6370)
    assert totals["occupancy"] == round(360 / 6370, 3)
    half = await center.routing.board.time_in_state(alice.id, start + 1800_000, start + 3605_000)
    assert half["work"]["idle"] == 1800 and half["work"]["ringing"] == 5


async def test_presence_changes_are_pushed_to_the_agent_and_supervisors(center: Center) -> None:
    alice = await center.agent("alice")
    await available(center, alice)
    pushed = [p for p in center.notifier.sent if p.event == "agent:state" and p.user_id == alice.id]
    assert pushed[-1].payload["presence"] == "available"
    boards = [b for b in center.notifier.broadcasts if b[:2] == ("supervisors", "agent:state")]
    assert boards[-1][2]["username"] == "alice"
    with pytest.raises(Invalid):
        await center.routing.set_presence(alice.id, Presence.AWAY, "nap")


async def test_the_supervisor_board_masks_numbers(center: Center) -> None:
    await center.queue("sales")
    alice = await center.agent("alice")
    await center.customer("Wang Fang", CALLER)
    await center.call("c1", "sales")
    board = await center.routing.board.live()
    text = json.dumps(board)
    assert CALLER not in text and CALLER[3:] not in text
    assert board["waiting"][0]["number_masked"].endswith(CALLER[-4:])
    assert board["waiting"][0]["customer_name"] == "Wang Fang"
    assert [a["username"] for a in board["agents"]] == ["alice"]
    assert board["decisions"][0]["rule"] == "no_agent_free"
    assert alice.id in [a["user_id"] for a in board["agents"]]


async def test_a_pbx_ringing_agents_itself_shows_them_ringing_until_answered_elsewhere(center: Center) -> None:
    alice = await center.agent("alice")
    bob = await center.agent("bob")
    await available(center, alice, bob)
    await center.event("ringing", "c9", agents=["alice", "bob"])
    assert (await center.work(alice), await center.work(bob)) == ("ringing", "ringing")
    await center.event("answered", "c9", agent="bob")
    assert (await center.work(alice), await center.work(bob)) == ("idle", "on_call")
    await center.event("ended", "c9")
    assert await center.work(bob) == "wrap_up"


async def test_a_caller_hanging_up_while_waiting_leaves_the_queue(center: Center) -> None:
    await center.queue("sales")
    alice = await center.agent("alice")
    call_id, answer = await center.call("c1", "sales")
    assert answer.action is Action.QUEUE
    await center.event("ended", "c1", cause="cancel")
    await available(center, alice)
    assert await center.work(alice) == "idle"
    assert (await center.routing.board.live())["waiting"] == []
    assert (await center.routing.route(call_id, "sales")).action is Action.REJECT


async def test_another_node_sees_the_same_state_after_rebuilding(center: Center) -> None:
    from callcenter.routing.service import RoutingService
    from callcenter.timers.service import TimerService

    await center.queue("sales")
    alice = await center.agent("alice")
    bob = await center.agent("bob")
    await available(center, alice, bob)
    other = RoutingService(center.db, center.clock, center.notifier, TimerService(center.db, center.clock, "node-b"))
    await other.start()
    first_id, first = await center.call("c1", "sales")
    second_id = await center.event("ringing", "c2", from_="+8613900139000", queue="sales")
    second = await other.route(second_id, "sales")  # node b must not pick alice again
    assert {first.agent_id, second.agent_id} == {alice.id, bob.id}
    third_id = await center.event("ringing", "c3", from_="+8613700137000", queue="sales")
    assert (await center.routing.route(third_id, "sales")).action is Action.QUEUE
    assert first_id != second_id


async def test_a_caller_hanging_up_while_rung_frees_the_agent_for_the_next_waiting_call(center: Center) -> None:
    await center.queue("sales")
    alice = await center.agent("alice")
    await available(center, alice)
    rung_id, rung = await center.call("c1", "sales")
    waiting_id, waiting = await center.call("c2", "sales", caller="+8613900139000")
    assert (rung.action, rung.agent_id, waiting.action) == (Action.DIAL, alice.id, Action.QUEUE)
    await center.event("ended", "c1", cause="cancel")  # the PBX never named alice in a ringing event
    offered = await center.routing.route(waiting_id, "sales")
    assert (offered.action, offered.agent_id) == (Action.DIAL, alice.id)
    state = await center.routing.agent_state(alice.id)
    assert (state["work"], state["call_id"]) == ("ringing", waiting_id)
    await center.event("ended", "c2", cause="cancel")
    assert await center.work(alice) == "idle"
    assert rung_id != waiting_id


async def test_the_reserved_agent_gets_the_pop_as_their_phone_rings_and_only_once(center: Center) -> None:
    await center.queue("sales")
    alice = await center.agent("alice")
    bob = await center.agent("bob")
    await available(center, alice)
    await center.customer("Wang Fang", CALLER)
    call_id, answer = await center.call("c1", "sales")
    assert answer.agent_id == alice.id
    pops = [p for p in center.notifier.sent if p.event == "call:pop"]
    assert [(p.user_id, p.payload["call"]["id"]) for p in pops] == [(alice.id, call_id)]
    assert pops[0].payload["customer"]["name"] == "Wang Fang"
    await center.event("ringing", "c1", queue="sales", agents=["alice"])  # the PBX now rings her phone
    assert len([p for p in center.notifier.sent if p.event == "call:pop"]) == 1
    assert bob.id not in [p.user_id for p in center.notifier.sent if p.event == "call:pop"]


async def test_a_supervisors_change_says_who_made_it(center: Center) -> None:
    from callcenter.accounts.models import Actor, Role

    alice = await center.agent("alice")
    sam = await center.agent("sam", role=Role.SUPERVISOR)
    await center.routing.set_presence(alice.id, Presence.AWAY, "meeting", Actor(sam.id, "supervisor", None))
    pushed = [p for p in center.notifier.sent if p.event == "agent:state" and p.user_id == alice.id]
    assert pushed[-1].payload["set_by"] == sam.id
    await center.routing.set_presence(alice.id, Presence.AVAILABLE, None)
    pushed = [p for p in center.notifier.sent if p.event == "agent:state" and p.user_id == alice.id]
    assert "set_by" not in pushed[-1].payload


async def test_nothing_pushed_to_supervisors_carries_a_full_number(center: Center) -> None:
    await center.queue("sales")
    alice = await center.agent("alice")
    await available(center, alice)
    await center.customer("Wang Fang", CALLER)
    await center.call("c1", "sales")
    await center.event("answered", "c1", agent="alice")
    await center.event("ended", "c1")
    to_supervisors = [b for b in center.notifier.broadcasts if b[0] == "supervisors"]
    assert {event for _, event, _ in to_supervisors} >= {"call:update", "agent:state", "routing:decision"}
    text = json.dumps([payload for _, _, payload in to_supervisors], ensure_ascii=False)
    assert CALLER not in text and CALLER[3:] not in text and "138 0013 8000" not in text
