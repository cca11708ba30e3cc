import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import pydantic
import pytest

from callcenter import dbsqlite, dbwal
from callcenter.cli import main
from callcenter.db import Conn, Database, load_migrations, lock_key, split_sql
from callcenter.dbconn import open_savepoint
from callcenter.dbpg import pg_sql, pool_options, schema_sql
from callcenter.settings import Settings
from tests import backend

INTEGRITY_ERRORS = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)
sqlite_only = pytest.mark.skipif(backend.POSTGRES, reason="about the SQLite engine")
postgres_only = pytest.mark.skipif(not backend.POSTGRES, reason="needs CALLCENTER_TEST_DATABASE_URL (PostgreSQL)")


async def test_migrations_are_recorded_once(db: Database) -> None:
    versions = [r["version"] for r in await db.fetchall("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [v for v, _, _ in load_migrations()]
    assert await db.migrate() == []


@sqlite_only
async def test_pragmas(db: Database) -> None:
    assert await db.fetchval("PRAGMA journal_mode") == "wal"
    assert await db.fetchval("PRAGMA foreign_keys") == 1


async def test_failed_transaction_stores_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('a', 'ip', 1, TRUE)")
            raise RuntimeError("boom")
    assert await db.fetchval("SELECT COUNT(*) FROM login_attempts") == 0


async def test_concurrent_writers_all_commit(db: Database) -> None:
    async def write(i: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES (?, 'ip', ?, TRUE)",
                               (f"u{i}", i))

    await asyncio.gather(*(write(i) for i in range(100)))
    assert await db.fetchval("SELECT COUNT(*) FROM login_attempts") == 100
    assert await db.fetchval("SELECT SUM(at) FROM login_attempts") == sum(range(100))


@sqlite_only
async def test_concurrent_writers_are_group_committed(db: Database) -> None:
    async def write(i: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES (?, 'ip', ?, TRUE)",
                               (f"u{i}", i))

    before = db.batches  # type: ignore[attr-defined]
    await asyncio.gather(*(write(i) for i in range(100)))
    # 100 writers arriving together share a few commits instead of one each.
    assert 1 <= db.batches - before < 100  # type: ignore[attr-defined]


async def test_one_failing_writer_in_a_batch_rolls_back_alone(db: Database) -> None:
    async def write(i: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES (?, 'ip', ?, TRUE)",
                               (f"u{i}", i))
            if i == 5:
                await conn.execute("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at,"
                                   " last_seen_at, expires_at) VALUES ('x', 999, 'c', 1, 1, 1)")

    results = await asyncio.gather(*(write(i) for i in range(10)), return_exceptions=True)
    assert [isinstance(r, INTEGRITY_ERRORS) for r in results].count(True) == 1
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
        assert await conn.fetchval("SELECT COUNT(*) FROM login_attempts") == 1
        assert await db.fetchval("SELECT COUNT(*) FROM login_attempts") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM login_attempts") == 1


async def test_one_hop_batches_write_atomically_and_read_what_is_committed(db: Database) -> None:
    async def insert(conn: Conn) -> int:
        await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('a', 'ip', 1, FALSE)")
        return int(await conn.fetchval("SELECT COUNT(*) FROM login_attempts"))

    async def insert_then_fail(conn: Conn) -> None:
        await insert(conn)
        raise ValueError("no")

    async def read(conn: Conn) -> list[tuple[str, bool]]:
        return [(r["username"], bool(r["ok"])) for r in await conn.fetchall("SELECT username, ok FROM login_attempts")]

    assert await db.run_write(insert) == 1
    with pytest.raises(ValueError, match="no"):
        await db.run_write(insert_then_fail)
    assert await db.run_read(read) == [("a", False)]


async def test_the_same_store_sql_reads_alike_on_every_engine(db: Database) -> None:
    async with db.transaction() as conn:
        changed = await conn.execute(
            "INSERT INTO login_attempts (username, ip, at, ok) VALUES (?, ?, ?, ?), (?, ?, ?, ?)",
            ("q?x", "ip", 2**40, True, "b", "ip", 3, False))
        assert changed == 2
        await conn.executemany("INSERT INTO login_attempts (username, ip, at, ok) VALUES (?, 'ip', ?, ?)",
                               [("c", 5, True), ("d", 6, False)])
        assert await conn.execute("UPDATE login_attempts SET ok = ? WHERE NOT ok", (True,)) == 2
    rows = await db.fetchall("SELECT id, username, at FROM login_attempts WHERE username <> '?' ORDER BY id")
    assert [(r["id"], r["username"]) for r in rows] == [(1, "q?x"), (2, "b"), (3, "c"), (4, "d")]
    assert rows[0]["at"] == 2**40  # 64-bit integers on both engines
    # Aggregates come back as int and float, never Decimal.
    total = await db.fetchval("SELECT SUM(at) FROM login_attempts WHERE at < ?", (100,))
    assert total == 14 and type(total) is int
    mean = await db.fetchval("SELECT AVG(at) FROM login_attempts WHERE at < ?", (100,))
    assert mean == pytest.approx(14 / 3) and type(mean) is float
    assert await db.fetchone("SELECT id FROM login_attempts WHERE username = ?", ("nobody",)) is None
    assert await db.fetchval("SELECT COUNT(*) FROM login_attempts WHERE ok AND username LIKE ?", ("%?%",)) == 1


def test_split_sql_drops_comments() -> None:
    assert split_sql("-- note\nCREATE TABLE a (x INT);\n\nCREATE TABLE b (y INT);\n") == [
        "CREATE TABLE a (x INT)", "CREATE TABLE b (y INT)"]


def test_unknown_url_schemes_are_refused() -> None:
    with pytest.raises(ValueError, match="mysql"):
        Database("mysql://db/cc")
    with pytest.raises(pydantic.ValidationError):
        Settings(database_url="mysql://db/cc")
    assert Settings(database_url="postgresql://cc:pw@db:5432/cc").sqlite_path() is None
    assert Database("postgresql://cc:pw@db:5432/cc").dialect == "postgresql"
    assert Database("sqlite:///var/x.db").dialect == "sqlite"


def test_question_marks_become_numbered_parameters_outside_literals() -> None:
    assert pg_sql("SELECT a FROM t WHERE b = ? AND c IN (?, ?)") == "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"
    assert pg_sql("SELECT '?', 'it''s ?', \"q?\" FROM t -- why?\nWHERE x = ? /* ? */") == (
        "SELECT '?', 'it''s ?', \"q?\" FROM t -- why?\nWHERE x = $1 /* ? */")
    assert pg_sql("SELECT 1") == "SELECT 1"


def test_migrations_read_as_postgresql() -> None:
    assert schema_sql("CREATE TABLE t (\n  id INTEGER PRIMARY KEY,\n  n INTEGER NOT NULL, at BIGINT)") == (
        "CREATE TABLE t (\n  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n  n BIGINT NOT NULL, at BIGINT)")
    assert schema_sql("CREATE TABLE p (user_id INTEGER PRIMARY KEY REFERENCES users (id))") == (
        "CREATE TABLE p (user_id BIGINT PRIMARY KEY REFERENCES users (id))")


def test_pool_size_comes_from_the_url_and_the_rest_goes_to_asyncpg() -> None:
    assert pool_options("postgresql://u:p@h:5432/cc?pool_size=25&sslmode=require") == (
        "postgresql://u:p@h:5432/cc?sslmode=require", 25)
    assert pool_options("postgresql://u@h/cc") == ("postgresql://u@h/cc", 10)
    with pytest.raises(ValueError, match="pool_size"):
        pool_options("postgresql://u@h/cc?pool_size=0")


@postgres_only
async def test_postgresql_transactions_run_side_by_side(db: Database) -> None:
    holding = asyncio.Event()
    done = asyncio.Event()

    async def long_one() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('long', 'ip', 1, TRUE)")
            holding.set()
            await done.wait()

    task = asyncio.create_task(long_one())
    await holding.wait()
    # A second writer commits while the first is still open (on SQLite it would wait its turn).
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('short', 'ip', 2, TRUE)")
    assert [r["username"] for r in await db.fetchall("SELECT username FROM login_attempts")] == ["short"]
    done.set()
    await task
    assert await db.fetchval("SELECT COUNT(*) FROM login_attempts") == 2


@postgres_only
async def test_servers_starting_together_migrate_once() -> None:
    assert backend.BASE_URL is not None
    admin = await asyncpg.connect(backend.BASE_URL)
    name = f"cct_migrate_{id(admin)}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = backend._with_database(backend.BASE_URL, name)
        servers = [Database(url) for _ in range(3)]
        await asyncio.gather(*(s.connect() for s in servers))
        try:
            applied = await asyncio.gather(*(s.migrate() for s in servers))
        finally:
            await asyncio.gather(*(s.close() for s in servers))
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
    names = [n for _, n, _ in load_migrations()]
    assert sorted(applied, key=len) == [[], [], names]


def test_backup_and_restore_point_postgresql_to_its_own_tools(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CALLCENTER_DATABASE_URL", "postgresql://cc:secret@db.invalid:5432/cc")
    assert main(["backup", str(tmp_path / "b.dump")]) == 2
    assert "pg_dump --format=custom" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "b.dump")]) == 2
    err = capsys.readouterr().err
    assert "pg_restore --clean" in err and "secret" not in err
    assert not (tmp_path / "b.dump").exists()


@postgres_only
async def test_a_used_test_database_is_reset_to_the_migrated_template(tmp_path: Path) -> None:
    url = backend.database_url(tmp_path)
    assert backend._databases is not None
    template_url = backend._with_database(backend.BASE_URL or "", backend._databases.template)
    template = await asyncpg.connect(template_url)
    used = await asyncpg.connect(url)
    try:
        seeded = {t: sorted(map(tuple, rs)) for t, _, rs in backend._databases.reset.seeds}
        assert seeded["routing_state"]  # a row 0006_routing.sql inserts
        await used.execute("INSERT INTO users (username, display_name, role, password_hash, disabled, created_at,"
                           " updated_at) VALUES ('u', 'U', 'agent', 'h', FALSE, 1, 1)")
        await used.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('u', 'ip', 1, TRUE)")
        await used.execute("DELETE FROM routing_state")
        await backend._databases.reset.apply(used)
        for table, rows in seeded.items():
            assert sorted(map(tuple, await used.fetch(f'SELECT * FROM "{table}"'))) == rows
        assert await used.fetchval("SELECT COUNT(*) FROM users") == 0
        assert await used.fetchval("SELECT COUNT(*) FROM login_attempts") == 0
        versions = "SELECT array_agg(version ORDER BY version) FROM schema_migrations"
        assert await used.fetchval(versions) == await template.fetchval(versions)
        insert = ("INSERT INTO users (username, display_name, role, password_hash, disabled, created_at, updated_at)"
                  " VALUES ('v', 'V', 'agent', 'h', FALSE, 1, 1) RETURNING id")
        assert await used.fetchval(insert) == 1  # ids start again as in a new database
    finally:
        await used.close()
        await template.close()


async def test_writers_locking_one_key_take_turns(db: Database) -> None:
    order: list[str] = []
    holding = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with db.transaction() as conn:
            await lock_key(conn, "call generic c1")
            holding.set()
            await release.wait()
            order.append("first done")

    async def second(key: str) -> None:
        await holding.wait()
        async with db.transaction() as conn:
            await lock_key(conn, key)
            order.append(f"second in on {key}")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second("call generic c1"))]
    await holding.wait()
    await asyncio.sleep(0.05)  # the second writer has had every chance to get in
    assert order == []
    if backend.POSTGRES:  # another key does not wait (on SQLite every writer waits its turn)
        await second("call generic c2")
        assert order == ["second in on call generic c2"]
        order.clear()
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["first done", "second in on call generic c1"]


async def test_one_failing_body_in_a_batch_of_one_hop_writers_rolls_back_alone(db: Database) -> None:
    async def insert(i: int) -> None:
        async def body(conn: Conn) -> int:
            await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES (?, 'ip', ?, TRUE)",
                               (f"u{i}", i))
            if i == 3:
                raise ValueError("body 3 fails")
            return i
        assert await db.run_write(body) == i

    results = await asyncio.gather(*(insert(i) for i in range(8)), return_exceptions=True)
    assert [type(r) for r in results].count(ValueError) == 1
    names = {r["username"] for r in await db.fetchall("SELECT username FROM login_attempts")}
    assert names == {f"u{i}" for i in range(8)} - {"u3"}



@sqlite_only
async def test_one_hop_writers_and_holders_commit_in_the_order_they_came(db: Database) -> None:
    """One-hop bodies that keep coming run batch after batch; a holder
    among them gets its turn in its place, and every writer's rows land in arrival order."""
    async def one_hop(i: int) -> int:
        async def body(conn: Conn) -> int:
            await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES (?, 'ip', ?, TRUE)",
                               (f"u{i}", i))
            return i
        return await db.run_write(body)

    async def holder(i: int) -> int:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES (?, 'ip', ?, TRUE)",
                               (f"u{i}", i))
        return i

    async def wave(start: int) -> list[int]:
        return list(await asyncio.gather(*(holder(i) if i % 7 == 3 else one_hop(i)
                                           for i in range(start, start + 40))))

    # Later waves arrive while earlier batches are still being written.
    waves = await asyncio.gather(*(wave(start) for start in range(0, 200, 40)))
    assert [i for w in waves for i in w] == list(range(200))
    rows = await db.fetchall("SELECT username FROM login_attempts ORDER BY id")
    assert [r["username"] for r in rows] == [f"u{i}" for i in range(200)]


@sqlite_only
async def test_a_batch_whose_commit_fails_fails_alone_and_the_writers_after_it_commit(db: Database) -> None:
    """A COMMIT can fail where no statement did (a deferred foreign key): that batch's writers all
    get the error and nothing of it is kept; the batches after it are written as usual."""
    async with db.transaction() as conn:
        await conn.execute("CREATE TABLE parents (id INTEGER PRIMARY KEY)")
        await conn.execute("CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER"
                           " REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)")

    def insert(child: int, parent: int) -> Any:
        async def body(conn: Conn) -> int:
            await conn.execute("INSERT INTO children (id, parent_id) VALUES (?, ?)", (child, parent))
            return child
        return body

    first = [db.run_write(insert(i, 1)) for i in (1, 2)]  # no parent 1: this batch's COMMIT fails
    await asyncio.sleep(0)
    results = await asyncio.gather(*first, return_exceptions=True)
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results)
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO parents (id) VALUES (1)")
    assert await asyncio.gather(*(db.run_write(insert(i, 1)) for i in (3, 4))) == [3, 4]
    assert [r["id"] for r in await db.fetchall("SELECT id FROM children ORDER BY id")] == [3, 4]


@sqlite_only
async def test_a_writer_cancelled_while_its_savepoint_opens_leaves_its_batch_to_commit(db: Database) -> None:
    async def insert(conn: Conn) -> None:
        await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('one-hop', 'ip', 1, TRUE)")

    async def holder() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('holder', 'ip', 1, TRUE)")

    writer = db._writer  # type: ignore[attr-defined]
    on_thread = writer.on_thread
    cancelled: list[asyncio.Task[None]] = []

    async def cancel_the_holder_meanwhile(fn: Any, *args: Any) -> Any:
        if fn is open_savepoint and not cancelled:
            cancelled.append(task)
            task.cancel()  # the holder's task stops waiting just as its turn is being prepared
        return await on_thread(fn, *args)

    writer.on_thread = cancel_the_holder_meanwhile
    one_hop = asyncio.create_task(db.run_write(insert))
    task = asyncio.create_task(holder())
    await asyncio.gather(task, return_exceptions=True)
    await one_hop
    writer.on_thread = on_thread
    assert cancelled == [task] and task.cancelled()
    assert [r["username"] for r in await db.fetchall("SELECT username FROM login_attempts")] == ["one-hop"]


@sqlite_only
async def test_one_hop_batches_commit_on_the_event_loop_while_the_write_lock_is_free(db: Database) -> None:
    assert isinstance(db, dbsqlite.SqliteDatabase)

    async def insert(conn: Conn) -> int:
        return await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('x', 'ip', 1, TRUE)")

    before, inline = db.batches, db.inline_batches
    assert await asyncio.gather(*(db.run_write(insert) for _ in range(10))) == [1] * 10
    assert db.batches - before >= 1 and db.inline_batches - inline == db.batches - before


@sqlite_only
async def test_one_hop_batches_go_to_the_writers_thread_while_the_wal_is_long(db: Database) -> None:
    """Near the backstop, a commit could run the writer's own checkpoint (a copy and a sync): such
    batches are committed on the writer's thread, not on the event loop's."""
    assert isinstance(db, dbsqlite.SqliteDatabase)

    async def insert(conn: Conn) -> int:
        return await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('x', 'ip', 1, TRUE)")

    assert db._wal is not None
    db._wal.frames = dbsqlite.INLINE_WAL_FRAMES
    before, inline = db.batches, db.inline_batches
    assert await asyncio.gather(*(db.run_write(insert) for _ in range(5))) == [1] * 5
    assert db.batches > before and db.inline_batches == inline
    db._wal.frames = 0
    assert await db.run_write(insert) == 1
    assert db.inline_batches == inline + 1


@sqlite_only
async def test_with_synchronous_full_every_batch_syncs_on_the_writers_thread(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A commit that syncs waits for the disk: then batches never run on the event loop's thread."""
    monkeypatch.setattr(dbsqlite, "SYNCHRONOUS", "FULL")
    database = Database(f"sqlite:///{tmp_path}/full.db")
    assert isinstance(database, dbsqlite.SqliteDatabase)
    await database.connect()
    try:
        await database.migrate()

        async def insert(conn: Conn) -> int:
            return await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('x', 'ip', 1, TRUE)")

        assert await asyncio.gather(*(database.run_write(insert) for _ in range(5))) == [1] * 5
        assert database.batches >= 1 and database.inline_batches == 0
        async with database.transaction() as conn:
            assert await conn.fetchval("PRAGMA synchronous") == 2  # FULL
    finally:
        await database.close()


@sqlite_only
async def test_a_one_hop_writer_waits_for_a_lock_another_process_holds_without_stopping_the_loop(
        db: Database) -> None:
    """Another connection (a CLI import, say) holding the write lock makes the batch wait on the
    writer's thread, not on the event loop's: the server goes on meanwhile, and the batch commits
    once the lock is free."""
    assert isinstance(db, dbsqlite.SqliteDatabase)
    other = sqlite3.connect(db.path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('other', 'ip', 1, TRUE)")

    async def insert(conn: Conn) -> str:
        await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES ('ours', 'ip', 2, TRUE)")
        return "committed"

    inline = db.inline_batches
    writer = asyncio.create_task(db.run_write(insert))
    ticks = 0
    while ticks < 20:  # the event loop keeps turning while the writer waits
        await asyncio.sleep(0.005)
        ticks += 1
    assert not writer.done()
    other.execute("COMMIT")
    other.close()
    assert await writer == "committed"
    assert db.inline_batches == inline
    rows = await db.fetchall("SELECT username FROM login_attempts ORDER BY at")
    assert [r["username"] for r in rows] == ["other", "ours"]
    # With the lock free again, the next batch is back on the event loop's thread.
    assert await db.run_write(insert) == "committed"
    assert db.inline_batches == inline + 1


@sqlite_only
@pytest.mark.parametrize(("restart_after", "writers"), [(20, "holders"), (20, "one-hop"), (None, "holders")])
async def test_a_long_wal_starts_over_under_a_steady_writer(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, restart_after: int | None, writers: str) -> None:
    """A passive checkpoint never catches up with a writer that keeps committing, so the WAL only
    grows; a RESTART does catch up, and the WAL starts over from its beginning. One-hop writers
    that never let the queue run dry (the pop path under load, committed on the event loop's
    thread) have the writer's thread run it between two of their batches."""
    monkeypatch.setattr(dbwal, "CHECKPOINT_EVERY_S", 0.01)
    monkeypatch.setattr(dbwal, "RESTART_AFTER_FRAMES", restart_after or 10**9)
    # A checkpointer this eager is nearly always in a passive round, which the RESTART waits for.
    monkeypatch.setattr(dbwal, "RESTART_WAIT_MS", 1000)
    database = Database(f"sqlite:///{tmp_path}/wal.db")
    assert isinstance(database, dbsqlite.SqliteDatabase)
    await database.connect()
    await database.migrate()
    assert database._wal is not None
    passive = database._wal.passive
    rounds: list[int] = []

    async def counted() -> int:
        frames = await passive()
        rounds.append(frames)
        return frames

    monkeypatch.setattr(database._wal, "passive", counted)
    written = 0
    try:
        async with database.transaction() as conn:
            await conn.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        async def insert(conn: Conn) -> None:
            await conn.execute("INSERT INTO filler (body) VALUES (?)", ("x" * 3000,))

        async def steady(n: int) -> None:
            for _ in range(n):
                await database.run_write(insert)

        # Writers keep committing while the checkpointer runs a few dozen rounds.
        while len(rounds) < 30:
            if writers == "holders":  # one commit after another, as under load
                for _ in range(20):
                    async with database.transaction() as conn:
                        await insert(conn)
            else:  # a few writers at a time: the queue never runs dry
                await asyncio.gather(*(steady(5) for _ in range(4)))
            written += 20
        # The WAL header's checkpoint sequence number counts the times the WAL started over.
        starts = int.from_bytes((tmp_path / "wal.db-wal").read_bytes()[12:16], "big")
        assert await database.fetchval("SELECT count(*) FROM filler") == written
    finally:
        await database.close()
    if restart_after is None:
        assert starts == 0
    else:
        assert starts >= 2, starts


@sqlite_only
@pytest.mark.parametrize(("logs", "rounds"), [([20_000, 20_300], 1), ([20_000, 21_000, 21_400], 2),
                                              ([20_000, 22_000, 24_000, 26_000, 28_000], 3)])
async def test_passive_rounds_catch_up_before_a_restart(
        monkeypatch: pytest.MonkeyPatch, logs: list[int], rounds: int) -> None:
    """Before the writer is asked to RESTART, passive rounds repeat until one finds few new frames
    (what the RESTART then copies and syncs on the writer's thread), and give up after a few."""
    keeper = dbwal.WalKeeper(None, lambda: None)  # type: ignore[arg-type]  # the rounds are stood in for
    answers = iter(logs[1:])
    calls: list[int] = []

    async def passive() -> int:
        calls.append(1)
        return next(answers)

    monkeypatch.setattr(keeper, "passive", passive)
    await keeper.catch_up(logs[0])
    assert len(calls) == rounds
