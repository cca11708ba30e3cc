"""Storage: one connection pool per engine, numbered migrations, and the only way to write.

``Database(url)`` gives the engine the URL names: ``SqliteDatabase`` here, or ``PgDatabase``
(``callcenter/dbpg.py``) for ``postgresql://``. Both take the same ``?``-parameter SQL and the
same migrations; what differs between the engines stays in these two modules.

Writers go through ``transaction()``. On SQLite every writer shares one connection, so writers are
serialized, and a batch of writers that queue up while one runs is committed together (group
commit): each writer runs inside its own SAVEPOINT, so one that fails rolls back alone, and each
leaves ``transaction()`` only after the COMMIT that made its writes durable. On PostgreSQL each
``transaction()`` is a real transaction on a pooled connection, and they run concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite

from callcenter.dbconn import (
    Conn,
    DirectConn,
    Params,
    Row,
    SqliteConn,
    T,
    close_savepoint,
    dict_row,
    open_savepoint,
    read_snapshot,
    run_batch,
)

__all__ = ["Conn", "Database", "DirectConn", "Params", "Row", "ServerLock", "SqliteConn", "SqliteDatabase", "lock_key"]

log = logging.getLogger(__name__)

MAX_BATCH = 64
MAX_BATCH_WAIT_S = 0.004
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class Database:
    """The application's database: ``transaction()`` to write, ``read()`` or ``fetch*`` to read.

    Constructing ``Database(url)`` returns the engine for the URL's scheme.
    """

    dialect: str
    url: str
    #: The SQLite file, or None on an engine without one.
    path: Path | None = None

    def __new__(cls, url: str) -> Database:
        engine: type[Database] = cls
        if cls is Database:
            if url.startswith("sqlite:///"):
                engine = SqliteDatabase
            elif url.startswith(POSTGRES_SCHEMES):
                from callcenter.dbpg import PgDatabase

                engine = PgDatabase
            else:
                raise ValueError(f"unsupported database URL scheme: {url.split(':', 1)[0]}")
        return super().__new__(engine)

    if TYPE_CHECKING:
        # What every engine implements; declared for the type checker only, since ``Database(url)``
        # always makes an engine.

        async def connect(self) -> None:
            """Open the connections."""

        async def close(self) -> None:
            """Close every connection."""

        def transaction(self) -> contextlib.AbstractAsyncContextManager[Conn]:
            """Run the body as one atomic unit; return only after its writes are committed."""

        async def run_write(self, body: Callable[[Conn], Awaitable[T]]) -> T:
            """Like ``transaction()``, for a body that only touches the database."""

        async def run_read(self, body: Callable[[Conn], Awaitable[T]]) -> T:
            """Run a read-only body as one consistent snapshot of committed data."""

        def read(self) -> contextlib.AbstractAsyncContextManager[Conn]:
            """A connection that sees only committed data."""

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Read every row of a query from committed data."""
        async with self.read() as conn:
            return await conn.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """Read the first row of a query from committed data."""
        async with self.read() as conn:
            return await conn.fetchone(sql, params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """Read one value from committed data."""
        async with self.read() as conn:
            return await conn.fetchval(sql, params)

    async def _lock_schema(self, conn: Conn) -> None:
        """Keep other processes from migrating at the same time (a no-op where writers are serialized)."""

    def _schema_sql(self, statement: str) -> str:
        """A migration statement as this engine takes it."""
        return statement

    async def migrate(self) -> list[str]:
        """Apply the numbered migrations not yet recorded in ``schema_migrations``."""
        async with self.transaction() as conn:
            await self._lock_schema(conn)
            await conn.execute(self._schema_sql(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            ))
            done = {r["version"] for r in await conn.fetchall("SELECT version FROM schema_migrations")}
            applied = []
            for version, name, sql in load_migrations():
                if version in done:
                    continue
                for statement in split_sql(sql):
                    await conn.execute(self._schema_sql(statement))
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, _now_ms()),
                )
                applied.append(name)
        for name in applied:
            log.info("applied migration %s", name)
        return applied


class SqliteDatabase(Database):
    """SQLite through aiosqlite: one writer connection (group commit) and one reader."""

    dialect = "sqlite"
    path: Path

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = Path(url[len("sqlite:///"):])
        self._writer: SqliteConn | None = None
        self._reader: SqliteConn | None = None
        self._lock = asyncio.Lock()
        self._queued = 0
        self._batch: asyncio.Future[None] | None = None
        self._batch_size = 0
        self._batch_started = 0.0
        self.batches = 0

    async def connect(self) -> None:
        """Open the writer and reader connections with the pragmas every connection needs."""
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = SqliteConn(await self._open())
        self._reader = SqliteConn(await self._open())
        await self._reader.execute("PRAGMA query_only = ON")

    async def _open(self) -> aiosqlite.Connection:
        raw = await aiosqlite.connect(self.path, isolation_level=None)
        raw.row_factory = dict_row  # type: ignore[assignment]
        for pragma in (
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",  # durable across a process kill; see docs/STORAGE.md
            "PRAGMA busy_timeout = 5000",
            "PRAGMA foreign_keys = ON",
        ):
            await raw.execute(pragma)
        return raw

    async def close(self) -> None:
        """Close every connection; waits for a running batch to finish."""
        async with self._lock:
            for conn in (self._writer, self._reader):
                if conn is not None:
                    await conn.raw.close()
            self._writer = self._reader = None

    async def _join(self) -> tuple[SqliteConn, asyncio.Future[None], bool]:
        """Wait for the writer; return it, the batch joined, and whether this writer opens it."""
        writer = self._writer
        if writer is None:
            raise RuntimeError("database is not connected")
        self._queued += 1
        try:
            await self._lock.acquire()
        finally:
            self._queued -= 1
        begin = self._batch is None
        if self._batch is None:
            self._batch = asyncio.get_running_loop().create_future()
            self._batch.add_done_callback(_swallow)
            self._batch_size = 0
            self._batch_started = time.monotonic()
        self._batch_size += 1
        return writer, self._batch, begin

    async def _leave(self, writer: SqliteConn, batch: asyncio.Future[None]) -> None:
        """Commit if this writer closes the batch, and let the next writer in."""
        try:
            # Commit when nobody else is waiting to join, or when the batch's first writers have
            # waited long enough: under steady load the queue is never empty.
            if self._queued == 0 or self._batch_size >= MAX_BATCH \
                    or time.monotonic() - self._batch_started >= MAX_BATCH_WAIT_S:
                await self._commit(writer, batch)
        finally:
            self._lock.release()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        """Run the body as one atomic unit; return only after its writes are committed.

        Keep the body to SQL: while it runs, other writers wait for it.
        """
        writer, batch, begin = await self._join()
        try:
            await writer.on_thread(open_savepoint, begin)
            try:
                yield writer
            except BaseException:
                await writer.on_thread(close_savepoint, False)
                raise
            await writer.on_thread(close_savepoint, True)
        finally:
            await self._leave(writer, batch)
        await asyncio.shield(batch)

    async def run_write(self, body: Callable[[Conn], Awaitable[T]]) -> T:
        """Like ``transaction()``, for a body that only touches the database, run in one hop.

        The body runs on the database's own thread against a connection whose calls complete at
        once, so its statements cost no round trips to the event loop: the hot paths (ingesting
        a call event) use this. The body must await nothing but its connection.
        """
        writer, batch, begin = await self._join()
        try:
            result: T = await writer.on_thread(run_batch, begin, body)
        finally:
            await self._leave(writer, batch)
        await asyncio.shield(batch)
        return result

    async def run_read(self, body: Callable[[Conn], Awaitable[T]]) -> T:
        """Run a read-only body in one hop, as one consistent snapshot of committed data (see ``run_write``)."""
        if self._reader is None:
            raise RuntimeError("database is not connected")
        result: T = await self._reader.on_thread(read_snapshot, body)
        return result

    async def _commit(self, writer: SqliteConn, batch: asyncio.Future[None]) -> None:
        self._batch = None
        try:
            await writer.execute("COMMIT")
        except BaseException as err:
            with contextlib.suppress(sqlite3.Error):
                await writer.execute("ROLLBACK")
            batch.set_exception(err)
            raise
        self.batches += 1
        batch.set_result(None)

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        """A connection that sees only committed data."""
        if self._reader is None:
            raise RuntimeError("database is not connected")
        yield self._reader


async def lock_key(conn: Conn, key: str) -> None:
    """Make writers that lock the same key take turns until their transactions end.

    For a write that reads before it writes (folding stored events, say): on SQLite writers
    always take turns, so this costs nothing; on PostgreSQL, where they run side by side, it takes
    a transaction-scoped advisory lock on a hash of the key.
    """
    if conn.dialect == "postgresql":
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))


def _swallow(fut: asyncio.Future[None]) -> None:
    if not fut.cancelled():
        fut.exception()


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


_MIGRATION = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def load_migrations() -> list[tuple[int, str, str]]:
    """Every migration shipped in ``callcenter/migrations``, in order."""
    found = []
    for entry in resources.files("callcenter.migrations").iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def split_sql(script: str) -> list[str]:
    """Split a migration into statements at semicolons that end a line; drop comment lines."""
    lines = [ln for ln in script.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in re.split(r";\s*$", "\n".join(lines), flags=re.M) if s.strip()]


class ServerLock:
    """An advisory lock beside the SQLite file, held while a server uses it (restore checks it)."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Give the lock back."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
