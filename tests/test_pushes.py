"""The push log: per-user numbers without gaps, pruning that never lets a number go back, replay."""

from __future__ import annotations

import asyncio

from callcenter.accounts.service import AccountService
from callcenter.clock import FakeClock
from callcenter.console.service import ConsoleService, record_pushes
from callcenter.db import Database
from tests.factories import make_user

RETENTION_MS = 60_000


async def push(db: Database, clock: FakeClock, user_ids: list[int], event: str = "note") -> list[int]:
    async with db.transaction() as conn:
        pushes = await record_pushes(conn, clock.now_ms(), user_ids, event, {"n": 1})
    return [p.seq for p in pushes]


async def test_numbers_are_per_user_and_gap_free(db: Database, clock: FakeClock, accounts: AccountService) -> None:
    emma = await make_user(accounts, "emma")
    james = await make_user(accounts, "james")
    assert await push(db, clock, [emma.id]) == [1]
    assert await push(db, clock, [emma.id, james.id]) == [2, 1]
    # Writers that run side by side still number one user's pushes one after another.
    await asyncio.gather(*(push(db, clock, [emma.id]) for _ in range(5)))
    rows = await db.fetchall("SELECT seq FROM pushes WHERE user_id = ? ORDER BY seq", (emma.id,))
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5, 6, 7]


async def test_pruning_keeps_each_users_newest_so_numbers_never_go_back(
        db: Database, clock: FakeClock, accounts: AccountService) -> None:
    console = ConsoleService(db, clock, RETENTION_MS)
    emma = await make_user(accounts, "emma")
    james = await make_user(accounts, "james")
    await push(db, clock, [emma.id, james.id])
    await push(db, clock, [emma.id])
    clock.advance(RETENTION_MS / 1000 + 1)
    assert await console.prune(clock.now_ms()) == 1  # emma's first; each user's newest stays
    kept = await db.fetchall("SELECT user_id, seq FROM pushes ORDER BY user_id")
    assert [(r["user_id"], r["seq"]) for r in kept] == [(emma.id, 2), (james.id, 1)]
    assert await push(db, clock, [emma.id, james.id]) == [3, 2]


async def test_a_client_behind_the_pruned_log_is_reset_and_one_within_it_replays(
        db: Database, clock: FakeClock, accounts: AccountService) -> None:
    console = ConsoleService(db, clock, RETENTION_MS)
    emma = await make_user(accounts, "emma")
    for _ in range(3):
        await push(db, clock, [emma.id])
    clock.advance(RETENTION_MS / 1000 + 1)
    await console.prune(clock.now_ms())
    await push(db, clock, [emma.id], "fresh")
    behind = await console.snapshot(emma, since=1)  # pushes 2 was pruned: a gap it cannot fill
    assert behind["reset"] is True and behind["seq"] == 4 and behind["pushes"] == []
    within = await console.snapshot(emma, since=3)
    assert within["reset"] is False and [p["event"] for p in within["pushes"]] == ["fresh"]
    ahead = await console.snapshot(emma, since=9)  # a number this server never gave
    assert ahead["reset"] is True
