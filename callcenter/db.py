"""Storage: one connection pool per engine, numbered migrations, and the only way to write.

``Database(url)`` gives the engine the URL names: ``SqliteDatabase`` here, or ``PgDatabase``
(``callcenter/dbpg.py``) for ``postgresql://``. Both take the same ``?``-parameter SQL and the
same migrations; what differs between the engines stays in these two modules.

Writers go through ``transaction()`` or ``run_write()``. On SQLite (``callcenter/dbsqlite.py``)
every writer shares one connection, so writers are serialized, and the writers that queue up while
one batch runs are committed together in the next (group commit): each writer runs inside its own
SAVEPOINT, so one that fails rolls back alone, and each returns only after the COMMIT that made its
writes durable. On PostgreSQL each is a real transaction on a pooled connection, and they run
concurrently.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callcenter.dbconn import Conn, DirectConn, Params, Row, SqliteConn, T

__all__ = ["Conn", "Database", "DirectConn", "Params", "Row", "ServerLock", "SqliteConn", "lock_key"]

log = logging.getLogger(__name__)

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
                from callcenter.dbsqlite import SqliteDatabase

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


async def lock_key(conn: Conn, key: str) -> None:
    """Make writers that lock the same key take turns until their transactions end.

    For a write that reads before it writes (folding stored events, say): on SQLite writers
    always take turns, so this costs nothing; on PostgreSQL, where they run side by side, it takes
    a transaction-scoped advisory lock on a hash of the key.
    """
    if conn.dialect == "postgresql":
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))


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
