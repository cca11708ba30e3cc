"""Timers: armed in a transaction, claimed under a lease by one node, retried when a handler fails."""

from __future__ import annotations

import asyncio

from callcenter.clock import FakeClock
from callcenter.db import Database
from callcenter.timers.models import Timer
from callcenter.timers.service import LEASE_MS, RETRY_MS, TimerService


async def test_a_due_timer_runs_once_across_two_nodes(db: Database, clock: FakeClock) -> None:
    ran: list[tuple[str, str]] = []
    nodes = [TimerService(db, clock, "a"), TimerService(db, clock, "b")]
    for node in nodes:
        async def handler(timer: Timer, name: str = node.node_id) -> None:
            ran.append((name, timer.key))
        node.register("ping", handler)
    async with db.transaction() as conn:
        for key in ("1", "2", "3"):
            await nodes[0].arm(conn, "ping", key, clock.now_ms() + 1000, {"n": key})
    assert await nodes[0].run_due() == 0  # not due yet
    clock.advance(1)
    counts = await asyncio.gather(*(n.run_due() for n in nodes), *(n.run_due() for n in nodes))
    assert sum(counts) == 3
    assert sorted(key for _, key in ran) == ["1", "2", "3"]
    assert await db.fetchval("SELECT COUNT(*) FROM timers") == 0


async def test_rearming_moves_a_timer_and_disarming_cancels_it(db: Database, clock: FakeClock) -> None:
    timers = TimerService(db, clock, "a")
    fired: list[int] = []

    async def handler(timer: Timer) -> None:
        fired.append(timer.due_at)

    timers.register("wrap", handler)
    async with db.transaction() as conn:
        await timers.arm(conn, "wrap", "7", clock.now_ms() + 10_000)
        await timers.arm(conn, "wrap", "7", clock.now_ms() + 30_000)
        await timers.arm(conn, "wrap", "8", clock.now_ms() + 10_000)
        assert await timers.disarm(conn, "wrap", "8")
    clock.advance(20)
    assert await timers.run_due() == 0
    clock.advance(11)
    assert await timers.run_due() == 1 and len(fired) == 1


async def test_a_failing_handler_is_retried_later_and_a_dead_nodes_lease_expires(db: Database,
                                                                                 clock: FakeClock) -> None:
    calls: list[str] = []
    flaky = TimerService(db, clock, "a")

    async def fails(timer: Timer) -> None:
        calls.append("a")
        raise RuntimeError("database hiccup")

    flaky.register("job", fails)
    async with db.transaction() as conn:
        await flaky.arm(conn, "job", "x", clock.now_ms())
    assert await flaky.run_due() == 0
    timer = await flaky.get("job", "x")
    assert timer is not None and timer.due_at == clock.now_ms() + RETRY_MS

    # Node "c" claims it and dies before finishing: after the lease, node "b" runs it.
    clock.advance(RETRY_MS / 1000)
    async with db.transaction() as conn:
        from callcenter.timers import store
        claimed = await store.claim_due(conn, clock.now_ms(), "c", LEASE_MS, 10)
    assert [t.key for t in claimed] == ["x"]
    healthy = TimerService(db, clock, "b")

    async def works(timer: Timer) -> None:
        calls.append("b")

    healthy.register("job", works)
    assert await healthy.run_due() == 0  # still leased to "c"
    clock.advance(LEASE_MS / 1000 + 1)
    assert await healthy.run_due() == 1
    assert calls == ["a", "b"]


async def test_arm_if_absent_keeps_the_first(db: Database, clock: FakeClock) -> None:
    timers = TimerService(db, clock, "a")
    async with db.transaction() as conn:
        assert await timers.arm_if_absent(conn, "daily", "all", 5_000)
        assert not await timers.arm_if_absent(conn, "daily", "all", 9_000)
    timer = await timers.get("daily", "all")
    assert timer is not None and timer.due_at == 5_000
