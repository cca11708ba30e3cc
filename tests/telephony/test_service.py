"""Ingestion on real SQLite: records, matching, pops to the ringing agents only and only once."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callcenter.customers.models import MatchKind
from callcenter.telephony.generic import parse_generic
from callcenter.telephony.models import CallEvent, CallState
from tests.telephony.conftest import World

T0 = 1_767_225_600_000


def ev(event: str, call_id: str = "c1", at: int = 0, **extra: Any) -> CallEvent:
    body = {"event": event, "call_id": call_id, "direction": "inbound", "from": "13812345678",
            "to": "+861088880000", **extra}
    if at is not None:
        body["at"] = f"2026-01-01T00:00:{at:02d}Z"
    return parse_generic(body, T0)


async def test_ringing_pops_the_rung_agent_with_the_customer(world: World) -> None:
    emma = await world.agent("emma")
    await world.agent("james")
    wang = await world.customer("王芳", "+8613812345678")
    result = await world.telephony.ingest(world.source, [ev("ringing", agents=["emma"])])
    assert result.record.state is CallState.RINGING and result.popped == (emma.id,)
    [(user_id, pop)] = world.pops()
    assert user_id == emma.id
    assert pop["match"]["kind"] == MatchKind.NATIONAL.value and pop["match"]["region_used"] == "CN"
    assert pop["customer"]["id"] == wang.id and pop["customer"]["name"] == "王芳"
    assert pop["call"]["state"] == "ringing" and pop["call"]["queue"] is None
    assert pop["tickets"] == [] and pop["answers"] == [] and pop["history"] == []


async def test_a_duplicate_never_pops_twice(world: World) -> None:
    emma = await world.agent("emma")
    event = ev("ringing", agents=["emma"])
    first = await world.telephony.ingest(world.source, [event])
    again = await world.telephony.ingest(world.source, [event])
    assert again.duplicate and again.call_id == first.call_id and again.popped == ()
    assert [u for u, _ in world.pops()] == [emma.id]
    assert await world.db.fetchval("SELECT COUNT(*) FROM call_events") == 1


async def test_lifecycle_records_wait_talk_and_hold(world: World) -> None:
    emma = await world.agent("emma")
    events = [ev("ringing", at=0, agents=["emma"]), ev("answered", at=8, agent="emma"), ev("hold", at=20),
              ev("unhold", at=30), ev("ended", at=50, cause="normalClearing")]
    for event in events:
        result = await world.telephony.ingest(world.source, [event])
    row = await world.db.fetchone("SELECT state, wait_s, talk_s, hold_s, agent_id FROM calls")
    assert row == {"state": "ended", "wait_s": 8.0, "talk_s": 32.0, "hold_s": 10.0, "agent_id": emma.id}
    updates = world.pops("call:update")
    assert [p["call"]["state"] for _, p in updates] == ["answered", "answered", "answered", "ended"]
    assert result.record.state is CallState.ENDED


async def test_abandoned_and_missed(world: World) -> None:
    await world.agent("emma")
    await world.telephony.ingest(world.source, [ev("ringing", "a", agents=["emma"]), ])
    gone = await world.telephony.ingest(world.source, [ev("ended", "a", at=9, cause="cancel")])
    assert gone.record.state is CallState.ABANDONED
    await world.telephony.ingest(world.source, [ev("ringing", "m", agents=["emma"])])
    missed = await world.telephony.ingest(world.source, [ev("ended", "m", at=9, cause="noAnswer")])
    assert missed.record.state is CallState.MISSED


async def test_only_the_ringing_agents_get_the_pop(world: World) -> None:
    emma = await world.agent("emma")
    james = await world.agent("james")
    await world.agent("maria")
    await world.telephony.ingest(world.source, [ev("ringing", agents=["emma", "james", "ext-nobody"])])
    assert sorted(u for u, _ in world.pops()) == [emma.id, james.id]
    stored = await world.db.fetchval("SELECT agents_rung FROM calls")
    assert "ext-nobody" in stored  # an unmatched name is stored and shown, never dropped


async def test_the_answering_agent_is_popped_even_if_not_rung(world: World) -> None:
    emma = await world.agent("emma")
    james = await world.agent("james")
    await world.telephony.ingest(world.source, [ev("ringing", agents=["emma"])])
    await world.telephony.ingest(world.source, [ev("answered", at=5, agent="james")])
    assert [u for u, _ in world.pops()] == [emma.id, james.id]


async def test_several_customers_on_one_number_give_candidates(world: World) -> None:
    await world.agent("emma")
    a = await world.customer("Li Lei", "+8613812345678")
    b = await world.customer("Han Meimei", "13812345678")
    await world.telephony.ingest(world.source, [ev("ringing", agents=["emma"])])
    [(_, pop)] = world.pops()
    assert pop["match"]["kind"] == MatchKind.SEVERAL.value
    assert sorted(pop["match"]["candidates"]) == sorted([a.id, b.id])
    assert pop["customer"] is None and {c["id"] for c in pop["candidates"]} == {a.id, b.id}


async def test_withheld_never_matches(world: World) -> None:
    await world.agent("emma")
    await world.customer("Anon Corp", "+8613812345678")
    await world.telephony.ingest(world.source, [ev("ringing", agents=["emma"], **{"from": "anonymous"})])
    [(_, pop)] = world.pops()
    assert pop["match"]["kind"] == MatchKind.WITHHELD.value and pop["customer"] is None


async def test_pop_carries_the_last_ten_calls_with_notes(world: World) -> None:
    emma = await world.agent("emma")
    await world.customer("王芳", "+8613812345678")
    for i in range(12):
        await world.telephony.ingest(world.source, [ev("ringing", f"old{i}", at=i, agents=["emma"])])
        await world.telephony.ingest(world.source, [ev("ended", f"old{i}", at=i + 1, cause="cancel")])
    first = await world.db.fetchval("SELECT id FROM calls WHERE external_id = 'old11'")
    await world.calls.annotate(emma, first, "asked about the invoice", None)
    world.notifier.sent.clear()
    await world.telephony.ingest(world.source, [ev("ringing", "now", at=40, agents=["emma"])])
    [(_, pop)] = world.pops()
    assert len(pop["history"]) == 10
    assert pop["history"][0]["notes"] == "asked about the invoice"


async def test_transfer_shows_the_earlier_legs_notes(world: World) -> None:
    emma = await world.agent("emma")
    james = await world.agent("james")
    await world.telephony.ingest(world.source, [ev("ringing", "leg1", agents=["emma"])])
    await world.telephony.ingest(world.source, [ev("answered", "leg1", at=2, agent="emma")])
    leg1 = await world.db.fetchval("SELECT id FROM calls WHERE external_id = 'leg1'")
    await world.calls.annotate(emma, leg1, "wants a refund, order 8812", None)
    await world.telephony.ingest(world.source, [ev("transferred", "leg1", at=30)])
    await world.telephony.ingest(world.source, [ev("ringing", "leg2", at=31, agents=["james"], parent_call_id="leg1")])
    pop = next(p for u, p in world.pops() if u == james.id)
    assert pop["earlier_leg"]["notes"] == "wants a refund, order 8812"
    assert pop["earlier_leg"]["agent_name"] == "emma"


async def test_agent_picks_among_candidates(world: World) -> None:
    emma = await world.agent("emma")
    a = await world.customer("Li Lei", "+8613812345678")
    await world.customer("Han Meimei", "13812345678")
    result = await world.telephony.ingest(world.source, [ev("ringing", agents=["emma"])])
    picked = await world.calls.link_customer(emma, result.call_id, a.id)
    assert picked["customer"]["id"] == a.id and picked["call"]["customer_id"] == a.id
    assert await world.db.fetchval("SELECT customer_id FROM calls") == a.id
    later = await world.telephony.ingest(world.source, [ev("answered", at=3, agent="emma")])
    assert later.call_id == result.call_id
    assert await world.db.fetchval("SELECT customer_id FROM calls") == a.id  # the pick stays


LIFECYCLE = [("ringing", 0, {"agents": ["emma", "james"]}), ("answered", 4, {"agent": "emma"}), ("hold", 10, {}),
             ("unhold", 15, {}), ("ended", 40, {"cause": "normalClearing"})]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.randoms(use_true_random=False), st.lists(st.integers(0, 4), max_size=6))
async def test_any_shuffle_and_duplication_gives_one_record_and_one_pop_each(
    world: World, rnd: random.Random, repeats: list[int]
) -> None:
    call_id = f"h{rnd.getrandbits(32)}"
    if not await world.db.fetchval("SELECT COUNT(*) FROM users WHERE username = 'emma'"):
        await world.agent("emma")
        await world.agent("james")
    events = [ev(kind, call_id, at, **extra) for kind, at, extra in LIFECYCLE]
    stream = events + [events[i] for i in repeats]
    rnd.shuffle(stream)
    for event in stream:
        await world.telephony.ingest(world.source, [event])
    row = await world.db.fetchone(
        "SELECT state, wait_s, talk_s, hold_s, answered_at, ended_at, event_count FROM calls WHERE external_id = ?",
        (call_id,))
    assert row == {"state": "ended", "wait_s": 4.0, "talk_s": 31.0, "hold_s": 5.0, "answered_at": T0 + 4000,
                   "ended_at": T0 + 40000, "event_count": 5}
    popped = [u for u, p in world.pops() if p["call"]["external_id"] == call_id]  # type: ignore[index]
    assert sorted(popped) == sorted(set(popped)) and len(popped) == 2
