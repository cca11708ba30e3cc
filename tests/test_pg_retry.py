"""PostgreSQL aborts one of two deadlocked transactions; ``run_write`` runs that one again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from callcenter.db import Conn, Database
from callcenter.dbpg import RETRIES
from tests import backend

pytestmark = pytest.mark.skipif(
    not backend.POSTGRES, reason="deadlocks and their retry are PostgreSQL's (SQLite's writers take turns)")


async def _two_rows(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.executemany("INSERT INTO login_attempts (id, username, ip, at, ok) VALUES (?, ?, 'ip', 0, TRUE)",
                               [(1, "first"), (2, "second")])


async def test_the_victim_of_a_real_deadlock_runs_again_and_both_commit(db: Database) -> None:
    await _two_rows(db)
    runs = {"a": 0, "b": 0}
    locked = {"a": asyncio.Event(), "b": asyncio.Event()}

    def crossing(me: str, other: str, first: int, second: int) -> Callable[[Conn], Awaitable[None]]:
        async def body(conn: Conn) -> None:
            runs[me] += 1
            await conn.execute("UPDATE login_attempts SET ip = ip || ? WHERE id = ?", (me, first))
            if runs[me] == 1:  # the first run waits until the other holds its first row: a cycle
                locked[me].set()
                await locked[other].wait()
            await conn.execute("UPDATE login_attempts SET ip = ip || ? WHERE id = ?", (me, second))
        return body

    await asyncio.wait_for(asyncio.gather(
        db.run_write(crossing("a", "b", 1, 2)),
        db.run_write(crossing("b", "a", 2, 1)),
    ), timeout=30)
    assert sorted(runs.values()) == [1, 2]  # one was aborted once and ran again
    rows = {r["id"]: r["ip"] for r in await db.fetchall("SELECT id, ip FROM login_attempts")}
    # Each committed its two updates exactly once, in one order for both rows.
    assert rows in ({1: "ipab", 2: "ipab"}, {1: "ipba", 2: "ipba"})


async def test_a_body_aborted_every_time_gives_up_after_the_retries(db: Database) -> None:
    runs = 0

    async def body(conn: Conn) -> None:
        nonlocal runs
        runs += 1
        await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('x', 'ip', 0, TRUE)")
        raise asyncpg.exceptions.SerializationError("could not serialize access")

    with pytest.raises(asyncpg.exceptions.SerializationError):
        await db.run_write(body)
    assert runs == RETRIES + 1
    assert await db.fetchval("SELECT COUNT(*) FROM login_attempts") == 0  # every run rolled back


async def test_other_errors_are_not_run_again(db: Database) -> None:
    await _two_rows(db)
    runs = 0

    async def body(conn: Conn) -> None:
        nonlocal runs
        runs += 1
        await conn.execute("INSERT INTO login_attempts (id, username, ip, at, ok) VALUES (1, 'x', 'ip', 0, TRUE)")

    with pytest.raises(asyncpg.exceptions.UniqueViolationError):
        await db.run_write(body)
    assert runs == 1
