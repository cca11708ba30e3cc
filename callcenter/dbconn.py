"""The async ``Conn`` every store function takes (on either engine), SQLite's connections, and one-hop batches.

``SqliteConn`` sends each statement to aiosqlite's thread (one round trip each). ``DirectConn``
calls the connection directly, wherever it runs: ``Database.run_read``/``run_write`` run a whole
body of store calls against it at once, and its coroutine never suspends, so it costs no round
trip of its own (``callcenter/dbsqlite.py`` commits a batch of write bodies on the event loop's
thread when it can, or sends it to aiosqlite's thread in one call). ``run_bodies`` and
``read_bodies`` run such a batch on that thread, as one transaction.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

import aiosqlite

Row = dict[str, Any]
T = TypeVar("T")
Params = Sequence[Any]


class Conn(Protocol):
    """What store functions get: parameterized SQL with ``?`` parameter marks, rows as dicts.

    ``dialect`` is ``"sqlite"`` or ``"postgresql"`` (``callcenter/dbpg.py``), for the rare clause
    only one engine has; everything else is written once for both (docs/STORAGE.md).
    """

    dialect: str

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each parameter row."""
        ...

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query and return every row."""
        ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """Run a query and return its first row, if any."""
        ...

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """Run a query and return the first column of its first row, or None."""
        ...


def dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    """Rows as plain dicts, the same shape on every engine."""
    return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


class SqliteConn:
    """A ``Conn`` over one aiosqlite connection."""

    dialect = "sqlite"

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self.raw = raw

    async def on_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """Call ``fn(sqlite3_connection, *args)`` on this connection's own thread, in one hop."""
        # aiosqlite's own queue keeps these calls in order with its other calls on this connection.
        result: T = await self.raw._execute(fn, self.raw._conn, *args)  # type: ignore[no-untyped-call]
        return result

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        cursor = await self.raw.execute(sql, tuple(params))
        count = cursor.rowcount
        await cursor.close()
        return int(count)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each parameter row."""
        await self.raw.executemany(sql, [tuple(r) for r in rows])

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query and return every row."""
        return list(await self.raw.execute_fetchall(sql, tuple(params)))  # type: ignore[arg-type]

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """Run a query and return its first row, if any."""
        rows = await self.raw.execute_fetchall(sql, tuple(params))
        for row in rows:
            found: Row = row  # type: ignore[assignment]
            return found
        return None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """Run a query and return the first column of its first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else next(iter(row.values()))


class DirectConn:
    """A ``Conn`` that calls the connection directly: each call runs at once, nothing is awaited.

    Rows are built here from the column names read once per statement, not by the connection's
    row factory (which reads ``cursor.description`` again for every row).
    """

    dialect = "sqlite"

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        self.cursor = raw.cursor()
        self.cursor.row_factory = None

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        return int(self.cursor.execute(sql, tuple(params)).rowcount)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each parameter row."""
        self.cursor.executemany(sql, [tuple(r) for r in rows])

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query and return every row."""
        cursor = self.cursor.execute(sql, tuple(params))
        rows = cursor.fetchall()
        if not rows:
            return []
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in rows]

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """Run a query and return its first row, if any."""
        cursor = self.cursor.execute(sql, tuple(params))
        row = cursor.fetchone()
        if row is None:
            return None
        names = [d[0] for d in cursor.description]
        cursor.fetchall()  # finish the statement, as a fresh cursor's close would
        return dict(zip(names, row, strict=True))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """Run a query and return the first column of its first row, or None."""
        cursor = self.cursor.execute(sql, tuple(params))
        row = cursor.fetchone()
        cursor.fetchall()
        return None if row is None else row[0]


def drive(awaitable: Awaitable[T]) -> T:
    """Run a coroutine that never suspends (its awaits are DirectConn calls) to its end."""
    coro = awaitable.__await__()
    try:
        coro.send(None)
    except StopIteration as stop:
        result: T = stop.value
        return result
    coro.close()
    raise RuntimeError("a database batch awaited something other than its connection")


def drive_direct(raw: sqlite3.Connection, body: Callable[[Conn], Awaitable[T]]) -> T:
    """Run a body against a DirectConn on this (the database) thread."""
    return drive(body(DirectConn(raw)))


def open_savepoint(raw: sqlite3.Connection, begin: bool) -> None:
    """Open the batch (when first) and this writer's savepoint."""
    if begin:
        raw.execute("BEGIN IMMEDIATE")
    raw.execute("SAVEPOINT tx")


def close_savepoint(raw: sqlite3.Connection, keep: bool) -> None:
    """Keep or undo this writer's work, and end its savepoint."""
    if not keep:
        raw.execute("ROLLBACK TO tx")
    raw.execute("RELEASE tx")


Body = Callable[[Conn], Awaitable[Any]]
Outcome = tuple[bool, Any]  # (True, value) or (False, the exception)


def run_bodies(raw: sqlite3.Connection, begin: bool, bodies: Sequence[Body], commit: bool) -> list[Outcome]:
    """Run writers' bodies one after another (on the writer's thread).

    A run that is the whole transaction (``begin`` and ``commit``) is first tried without a savepoint
    per body: when a body fails, the transaction is rolled back and the run tried again with
    savepoints, where the failing body rolls back alone. Bodies may run twice, as on PostgreSQL
    after a deadlock, so they change nothing outside the database that a rolled-back run would
    leave. Otherwise (a ``transaction()`` holder shares the transaction) every body has a savepoint.
    """
    if begin and commit:
        raw.execute("BEGIN IMMEDIATE")
        outcomes: list[Outcome] = []
        try:
            for body in bodies:
                outcomes.append((True, drive_direct(raw, body)))
        except Exception:  # the run is repeated with savepoints, where the body's error is kept
            raw.execute("ROLLBACK")
            outcomes = run_bodies(raw, True, bodies, commit=False)
            commit_or_undo(raw)
            return outcomes
        commit_or_undo(raw)
        return outcomes
    if begin:
        raw.execute("BEGIN IMMEDIATE")
    outcomes = []
    for body in bodies:
        open_savepoint(raw, False)
        try:
            value = drive_direct(raw, body)
        except BaseException as err:
            close_savepoint(raw, False)
            outcomes.append((False, err))
            continue
        close_savepoint(raw, True)
        outcomes.append((True, value))
    if commit:
        commit_or_undo(raw)
    return outcomes


def commit_or_undo(raw: sqlite3.Connection) -> None:
    """Commit the batch; roll it back when the commit fails."""
    try:
        raw.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            raw.execute("ROLLBACK")
        raise


def read_bodies(raw: sqlite3.Connection, bodies: Sequence[Body]) -> list[Outcome]:
    """Run read-only bodies in one read transaction: all see the same committed state."""
    raw.execute("BEGIN")
    outcomes: list[Outcome] = []
    try:
        for body in bodies:
            try:
                outcomes.append((True, drive_direct(raw, body)))
            except Exception as err:
                outcomes.append((False, err))
    finally:
        raw.execute("COMMIT")
    return outcomes
