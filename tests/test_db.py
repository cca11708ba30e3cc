import asyncio
import sqlite3

import pytest

from callcenter.db import Database, load_migrations, split_sql


async def test_migrations_are_recorded_once(db: Database) -> None:
    versions = [r["version"] for r in await db.fetchall("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [v for v, _, _ in load_migrations()]
    assert await db.migrate() == []


async def test_pragmas(db: Database) -> None:
    assert await db.fetchval("PRAGMA journal_mode") == "wal"
    assert await db.fetchval("PRAGMA foreign_keys") == 1


async def test_failed_transaction_stores_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('a', 'ip', 1, TRUE)")
            raise RuntimeError("boom")
    assert await db.fetchval("SELECT COUNT(*) FROM login_attempts") == 0


async def test_concurrent_writers_are_group_committed(db: Database) -> None:
    async def write(i: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES (?, 'ip', ?, TRUE)",
                               (f"u{i}", i))

    before = db.batches
    await asyncio.gather(*(write(i) for i in range(100)))
    assert await db.fetchval("SELECT COUNT(*) FROM login_attempts") == 100
    # 100 writers arriving together share a few commits instead of one each.
    assert 1 <= db.batches - before < 100


async def test_one_failing_writer_in_a_batch_rolls_back_alone(db: Database) -> None:
    async def write(i: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES (?, 'ip', ?, TRUE)",
                               (f"u{i}", i))
            if i == 5:
                await conn.execute("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at,"
                                   " last_seen_at, expires_at) VALUES ('x', 999, 'c', 1, 1, 1)")

    results = await asyncio.gather(*(write(i) for i in range(10)), return_exceptions=True)
    assert [type(r) for r in results].count(sqlite3.IntegrityError) == 1
    names = {r["username"] for r in await db.fetchall("SELECT username FROM login_attempts")}
    assert names == {f"u{i}" for i in range(10)} - {"u5"}


async def test_a_cancelled_writer_does_not_stall_others(db: Database) -> None:
    started = asyncio.Event()

    async def slow() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('slow', 'ip', 1, TRUE)")
            started.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(slow())
    await started.wait()
    waiter = asyncio.create_task(db.transaction().__aenter__())
    await asyncio.sleep(0)
    waiter.cancel()
    task.cancel()
    await asyncio.gather(task, waiter, return_exceptions=True)
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('after', 'ip', 1, TRUE)")
    assert [r["username"] for r in await db.fetchall("SELECT username FROM login_attempts")] == ["after"]


async def test_reads_see_only_committed_data(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('a', 'ip', 1, TRUE)")
        assert await db.fetchval("SELECT COUNT(*) FROM login_attempts") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM login_attempts") == 1


def test_split_sql_drops_comments() -> None:
    assert split_sql("-- note\nCREATE TABLE a (x INT);\n\nCREATE TABLE b (y INT);\n") == [
        "CREATE TABLE a (x INT)", "CREATE TABLE b (y INT)"]
