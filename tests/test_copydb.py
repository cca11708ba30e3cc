"""``copy-db``: every row into a new database, ids kept, counts checked; a target holding data is refused."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from callcenter.accounts.models import Role
from callcenter.cli import main
from callcenter.clock import FakeClock
from callcenter.copydb import CopyError, copy_database, redact
from callcenter.copyschema import quote, read_schema
from callcenter.db import Database, ServerLock
from callcenter.demo import seed
from tests import backend
from tests.factories import RecordingNotifier, account_service, make_user

needs_postgres = pytest.mark.skipif(
    not backend.POSTGRES, reason="needs PostgreSQL: set CALLCENTER_TEST_DATABASE_URL (scripts/pg_local.py)")


def sqlite_url(tmp_path: Path, name: str) -> str:
    return f"sqlite:///{tmp_path}/{name}.db"


async def _fill(url: str) -> None:
    """The demo's data, login attempts enough for several batches, and two queues overflowing to each other."""
    db = Database(url)
    await db.connect()
    try:
        await db.migrate()
        clock = FakeClock()
        await seed(db, account_service(db, clock, RecordingNotifier()), clock)
        async with db.transaction() as conn:
            await conn.executemany("INSERT INTO login_attempts (username, ip, at, ok) VALUES (?, ?, ?, ?)",
                                   [(f"user{i}", "10.0.0.9", 1000 + i, i % 3 == 0) for i in range(50)])
            # Sales (the first queue) already overflows to support (a later one); now support back to sales.
            await conn.execute(
                "UPDATE queues SET overflow_action = 'queue', overflow_queue_id = (SELECT id FROM queues"
                " WHERE key = 'sales') WHERE key = 'support'")
            await conn.execute("UPDATE routing_state SET version = 41, node_id = 'old-node' WHERE id = 1")
    finally:
        await db.close()


async def _everything(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but schema_migrations, in key order, booleans as SQLite's integers."""
    db = Database(url)
    await db.connect()
    try:
        async with db.read() as conn:
            tables = await read_schema(conn)
        found = {}
        for name, table in tables.items():
            if name == "schema_migrations":
                continue
            columns = ", ".join(quote(c) for c in table.columns)
            order = ", ".join(quote(c) for c in table.key)
            rows = await db.fetchall(f"SELECT {columns} FROM {quote(name)} ORDER BY {order}")
            found[name] = [tuple(int(v) if isinstance(v, bool) else v for v in r.values()) for r in rows]
        return found
    finally:
        await db.close()


@pytest.fixture
async def target_db(tmp_path: Path) -> AsyncIterator[str]:
    """An empty target of the engine the suite runs on (PostgreSQL's is migrated, SQLite's a new file)."""
    yield backend.database_url(tmp_path / "target") if backend.POSTGRES else sqlite_url(tmp_path, "target")


Tables = dict[str, list[tuple[Any, ...]]]


async def _copied(source: str, target: str) -> tuple[Tables, Tables]:
    """Copy; check the report, the progress and that new ids follow the copied ones; return both sides' rows."""
    progress = io.StringIO()
    report = await copy_database(source, target, batch=7, progress=progress)
    before, after = await _everything(source), await _everything(target)
    assert len(before) > 30 and set(after) == set(before)
    assert report.rows == {name: len(rows) for name, rows in before.items()}
    assert report.rows["login_attempts"] == 50 and report.rows["queues"] == 4 and report.rows["orders"] > 0
    assert after["routing_state"] == [(1, 41, "old-node")]  # the source's row, not the migration's
    assert "100% " in progress.getvalue() and "login_attempts: 50 rows" in progress.getvalue()

    # New rows continue after the copied ids.
    db = Database(target)
    await db.connect()
    try:
        newest = max(r[0] for r in before["users"])
        user = await make_user(account_service(db, FakeClock(), RecordingNotifier()), "newcomer", Role.AGENT)
        assert user.id == newest + 1
    finally:
        await db.close()
    return before, after


async def test_sqlite_to_sqlite_keeps_every_row_and_id(tmp_path: Path) -> None:
    source = sqlite_url(tmp_path, "source")
    await _fill(source)
    before, after = await _copied(source, sqlite_url(tmp_path, "copy"))
    assert after == before  # every row, every id


@needs_postgres
async def test_sqlite_to_postgresql_keeps_every_row_and_moves_the_ids_on(tmp_path: Path, target_db: str) -> None:
    source = sqlite_url(tmp_path, "source")
    await _fill(source)
    before, after = await _copied(source, target_db)
    assert after == before


@needs_postgres
async def test_postgresql_to_sqlite(tmp_path: Path) -> None:
    source = backend.database_url(tmp_path / "source")
    await _fill(source)
    before, after = await _copied(source, sqlite_url(tmp_path, "copy"))
    assert after == before


async def test_a_target_holding_data_is_refused_and_left_alone(tmp_path: Path, target_db: str) -> None:
    source = sqlite_url(tmp_path, "source")
    await _fill(source)
    db = Database(target_db)
    await db.connect()
    await db.migrate()
    try:
        await make_user(account_service(db, FakeClock(), RecordingNotifier()), "already-here")
    finally:
        await db.close()
    with pytest.raises(CopyError, match=r"the target already holds data \(users, audit_log\)"):
        await copy_database(source, target_db)
    after = await _everything(target_db)
    assert [r[1] for r in after["users"]] == ["already-here"]
    assert after["customers"] == [] and after["queues"] == []


async def _skip_second_login_attempt(url: str, on: bool) -> None:
    """A trigger on the target that silently drops the login attempt with id 2 (or its removal)."""
    if url.startswith("sqlite"):
        db = Database(url)
        await db.connect()
        await db.migrate()
        try:
            async with db.transaction() as conn:
                await conn.execute("CREATE TRIGGER skip_two BEFORE INSERT ON login_attempts WHEN NEW.id = 2"
                                   " BEGIN SELECT RAISE(IGNORE); END" if on else "DROP TRIGGER skip_two")
        finally:
            await db.close()
        return
    conn = await asyncpg.connect(url)
    try:
        if on:
            await conn.execute(
                "CREATE FUNCTION skip_two() RETURNS trigger LANGUAGE plpgsql AS"
                " 'BEGIN IF NEW.id = 2 THEN RETURN NULL; END IF; RETURN NEW; END';"
                " CREATE TRIGGER skip_two BEFORE INSERT ON login_attempts FOR EACH ROW EXECUTE FUNCTION skip_two()")
        else:  # the test database goes back to the pool: leave it as it came
            await conn.execute("DROP TRIGGER skip_two ON login_attempts; DROP FUNCTION skip_two()")
    finally:
        await conn.close()


async def test_a_row_count_that_differs_fails_loudly_and_commits_nothing(tmp_path: Path, target_db: str) -> None:
    source = sqlite_url(tmp_path, "source")
    await _fill(source)
    await _skip_second_login_attempt(target_db, on=True)
    try:
        with pytest.raises(CopyError) as err:
            await copy_database(source, target_db, batch=7)
        assert str(err.value) == \
            "row counts differ, nothing was committed: login_attempts: source 50, read 50, target 49"
        after = await _everything(target_db)
        assert all(rows == [] for rows in after.values() if rows != [(1, 0, None)])
    finally:
        await _skip_second_login_attempt(target_db, on=False)


async def test_a_source_behind_on_migrations_is_refused(tmp_path: Path) -> None:
    source = sqlite_url(tmp_path, "source")
    await _fill(source)
    db = Database(source)
    await db.connect()
    try:
        async with db.transaction() as conn:
            await conn.execute("DELETE FROM schema_migrations WHERE version = 6")
    finally:
        await db.close()
    with pytest.raises(CopyError, match=r"the source lacks migrations \[6\]: run `callcenter migrate` against it"):
        await copy_database(source, sqlite_url(tmp_path, "copy"))


async def test_a_source_a_server_holds_is_refused(tmp_path: Path) -> None:
    source = sqlite_url(tmp_path, "source")
    await _fill(source)
    lock = ServerLock(tmp_path / "source.db")
    assert lock.acquire()
    try:
        with pytest.raises(CopyError, match=r"a server is using .*source\.db; stop it first"):
            await copy_database(source, sqlite_url(tmp_path, "copy"))
    finally:
        lock.release()
    with pytest.raises(CopyError, match="no database at"):
        await copy_database(sqlite_url(tmp_path, "missing"), sqlite_url(tmp_path, "copy"))


def test_urls_are_printed_without_their_password() -> None:
    assert redact("postgresql://cc:s3cret@db.internal:5432/callcenter") == "postgresql://cc:***@db.internal:5432/callcenter"
    assert redact("sqlite:///var/callcenter.db") == "sqlite:///var/callcenter.db"


def test_the_command_copies_then_refuses_to_copy_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    source, target = sqlite_url(tmp_path, "source"), sqlite_url(tmp_path, "copy")
    asyncio.run(_fill(source))
    assert main(["copy-db", "--from", source, "--to", target]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("copied ") and "every table's row count matches" in out
    assert "100% " in err
    assert main(["copy-db", "--from", source, "--to", target]) == 2
    assert "callcenter copy-db: the target already holds data" in capsys.readouterr().err
