"""SQLite through aiosqlite: one writer connection with group commit, one reader connection.

Writers queue up as jobs. One drain task takes whatever has queued while the previous batch ran
(up to ``MAX_BATCH``) and runs it as one transaction: each job inside its own SAVEPOINT, so a job
that fails rolls back alone; every job learns its outcome only after the COMMIT that made its writes
durable. A batch of one-hop bodies (``run_write``) is committed right on the event loop's thread
when the write lock is free: its statements are CPU work of microseconds each on cached pages, its
COMMIT appends to the WAL without a sync (``synchronous = NORMAL``), and running it there spares
the GIL handover that every SQLite call on another thread costs (see ``_commit_inline``). Whatever
could wait (the write lock held by another process, letting the WAL start over, a body that
failed) goes to the writer connection's own thread instead, as does a ``transaction()`` holder,
who gets the connection to itself for its turn within the batch and sends its statements one by
one (one trip each). Reads batch the same way on their own connection and thread. A third
connection keeps the WAL short (``callcenter/dbwal.py``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from callcenter.db import Database
from callcenter.dbconn import (
    Body,
    Conn,
    Outcome,
    SqliteConn,
    T,
    close_savepoint,
    commit_or_undo,
    dict_row,
    drive_direct,
    open_savepoint,
    read_bodies,
    run_bodies,
)
from callcenter.dbwal import BACKSTOP_CHECKPOINT_PAGES, WalKeeper

MAX_BATCH = 64
BUSY_TIMEOUT_MS = 5000
# NORMAL: a commit survives the process being killed, not a power failure, and does not wait for
# the disk (docs/STORAGE.md, Durability). FULL syncs every commit: batches then go to the writer's
# thread, so that the event loop never waits for the disk.
SYNCHRONOUS = "NORMAL"
# Batches are committed on the event loop's thread only while the WAL is well short of the backstop,
# whose checkpoint (a copy and a sync) would then run inside such a commit. Between two restarts the
# WAL reaches ~35,000 frames at 1,200 call events/s; the checkpointer reads its length every second.
INLINE_WAL_FRAMES = BACKSTOP_CHECKPOINT_PAGES // 2
log = logging.getLogger(__name__)


class _Job:
    """One writer waiting for its turn: a one-hop body, or (body None) a ``transaction()`` holder."""

    __slots__ = ("body", "done", "released", "turn")

    def __init__(self, loop: asyncio.AbstractEventLoop, body: Body | None) -> None:
        self.body = body
        self.done: asyncio.Future[Any] = loop.create_future()  # the outcome, once committed
        if body is None:
            self.turn: asyncio.Future[None] = loop.create_future()  # the connection is the holder's
            self.released: asyncio.Future[bool] = loop.create_future()  # done with it: keep its writes?


def _settle(fut: asyncio.Future[Any], outcome: Outcome) -> None:
    if fut.done():
        return
    if outcome[0]:
        fut.set_result(outcome[1])
    else:
        fut.set_exception(outcome[1])


def _settle_all(jobs: Sequence[_Job], outcomes: Sequence[Outcome]) -> None:
    for job, outcome in zip(jobs, outcomes, strict=True):
        _settle(job.done, outcome)


class SqliteDatabase(Database):
    """SQLite through aiosqlite: one writer connection (group commit) and one reader."""

    dialect = "sqlite"
    path: Path

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = Path(url[len("sqlite:///"):])
        self._writer: SqliteConn | None = None
        self._reader: SqliteConn | None = None
        self._wal: WalKeeper | None = None
        self._jobs: collections.deque[_Job] = collections.deque()
        self._reads: list[tuple[Body, asyncio.Future[Any]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._read_drainer: asyncio.Task[None] | None = None
        self.batches = 0
        self.inline_batches = 0  # of those, committed on the event loop's thread
        self._busy_ms = BUSY_TIMEOUT_MS  # the writer connection's busy timeout now

    async def connect(self) -> None:
        """Open the writer and reader connections with the pragmas every connection needs."""
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # The event loop's thread uses the writer connection too, never while its own thread does.
        self._writer = SqliteConn(await self._open(check_same_thread=False))
        self._reader = SqliteConn(await self._open())
        await self._reader.execute("PRAGMA query_only = ON")
        # Checkpoints (copying the WAL into the database file, with an fsync) run on a connection
        # and thread of their own, so a commit never waits for one; the writer's automatic
        # checkpoint stays as a backstop far beyond what the checkpointer lets the WAL grow to.
        await self._writer.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_CHECKPOINT_PAGES}")
        self._wal = WalKeeper(SqliteConn(await self._open()), self._wake_writer)
        self._wal.start()

    async def _open(self, check_same_thread: bool = True) -> aiosqlite.Connection:
        raw = await aiosqlite.connect(self.path, isolation_level=None, check_same_thread=check_same_thread)
        raw.row_factory = dict_row  # type: ignore[assignment]
        for pragma in (
            "PRAGMA journal_mode = WAL",
            f"PRAGMA synchronous = {SYNCHRONOUS}",
            f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
            "PRAGMA foreign_keys = ON",
        ):
            await raw.execute(pragma)
        return raw

    async def close(self) -> None:
        """Close every connection, after the writers and readers already queued are through."""
        if self._wal is not None:
            await self._wal.stop()
        for task in (self._drainer, self._read_drainer):
            if task is not None:
                await asyncio.shield(task)
        for conn in (self._writer, self._reader, self._wal.conn if self._wal else None):
            if conn is not None:
                await conn.raw.close()
        self._writer = self._reader = self._wal = None

    def _wake_writer(self) -> None:
        """Start the drain task unless it is at work (for queued writers, or a WAL restart)."""
        if self._drainer is None and self._writer is not None:
            self._drainer = asyncio.get_running_loop().create_task(self._drain(self._writer))

    def _set_busy_timeout(self, raw: sqlite3.Connection, ms: int) -> None:
        """How long the writer's statements wait for a lock another connection holds (0: fail at once).

        Each way of writing sets the timeout it needs before its first statement: 0 on the event
        loop's thread, BUSY_TIMEOUT_MS on the writer's, RESTART_WAIT_MS for a WAL restart.
        """
        if self._busy_ms != ms:
            raw.execute(f"PRAGMA busy_timeout = {ms}")
            self._busy_ms = ms

    # --- writers --------------------------------------------------------------------------------------

    def _submit(self, body: Body | None) -> _Job:
        if self._writer is None:
            raise RuntimeError("database is not connected")
        job = _Job(asyncio.get_running_loop(), body)
        self._jobs.append(job)
        self._wake_writer()
        return job

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        """Run the body as one atomic unit; return only after its writes are committed.

        Keep the body to SQL: while it runs, other writers wait for it.
        """
        job = self._submit(None)
        writer = self._writer
        try:
            await job.turn
        except asyncio.CancelledError:
            if job.turn.done() and not job.turn.cancelled():  # cancelled just as its turn came
                job.released.set_result(False)
            raise
        keep = False
        try:
            yield writer  # type: ignore[misc]
            keep = True
        finally:
            job.released.set_result(keep)
        await asyncio.shield(job.done)

    async def run_write(self, body: Callable[[Conn], Awaitable[T]]) -> T:
        """Like ``transaction()``, for a body that only touches the database, run in one hop.

        The body runs against a connection whose calls complete at once, together with the other
        bodies of its batch, in one go: on the event loop's own thread when the write lock is
        free, else on the writer's thread (``_commit_inline``). Its statements cost no round trips:
        the hot paths (ingesting a call event) use this. The body must await nothing but its
        connection, and keep to a few statements on a few rows.
        """
        # Not shielded: a caller that stops waiting only drops the outcome (the body runs either way).
        result: T = await self._submit(body).done
        return result

    async def _drain(self, writer: SqliteConn) -> None:
        loop = asyncio.get_running_loop()
        wal = self._wal
        assert wal is not None  # connected: the drain runs between connect() and close()
        try:
            while self._jobs or wal.restart_due:
                # One turn of the event loop first: requests whose bytes have already arrived queue
                # their writers too and share this batch's commit, and the pushes of the batch
                # just committed go out before the next one runs.
                await asyncio.sleep(0)
                if wal.restart_due:  # on the writer's thread, which may wait for readers; then back here
                    await writer.on_thread(wal.restart, self._set_busy_timeout)
                    continue
                if self._jobs[0].body is not None:
                    if SYNCHRONOUS == "NORMAL" and wal.frames < INLINE_WAL_FRAMES \
                            and self._commit_inline(writer.raw._conn):
                        continue
                    await writer.on_thread(self._commit_on_thread, loop)
                    continue
                if self._busy_ms != BUSY_TIMEOUT_MS:
                    await writer.on_thread(self._set_busy_timeout, BUSY_TIMEOUT_MS)
                jobs = [self._jobs.popleft() for _ in range(min(MAX_BATCH, len(self._jobs)))]
                await self._batch(writer, jobs)
        finally:
            self._drainer = None

    def _take_bodies(self) -> list[_Job]:
        """The one-hop bodies at the front of the queue, up to a batch."""
        jobs, batch = self._jobs, list[_Job]()
        while jobs and len(batch) < MAX_BATCH and jobs[0].body is not None:
            batch.append(jobs.popleft())
        return batch

    def _commit_inline(self, raw: sqlite3.Connection) -> bool:
        """Commit the next batch of one-hop bodies here, on the event loop's thread; False if it must
        go to the writer's thread instead (the batch is then still queued, and nothing of it kept).

        On the writer's thread, every SQLite call gives up the GIL and must win it back from a busy
        event loop, which holds it until the switch interval forces it to let go: a few such
        handovers per statement cost the server more CPU than running the statements here, and the
        batch's latency grew with the loop's load (docs/BENCHMARKS.md, session 9). Here the batch
        takes as long as its bodies' own work. It never waits: BEGIN IMMEDIATE fails at once when
        another connection (a CLI import, a backup) holds the write lock, and the COMMIT does not
        sync. A body that fails undoes the whole try; the writer's thread then runs the batch again,
        where a body that fails once more rolls back alone in its savepoint and keeps its error
        (so bodies may run more than once).
        """
        self._set_busy_timeout(raw, 0)
        try:
            raw.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:  # locked by another connection, or I/O trouble: the thread waits or reports
            return False
        batch = self._take_bodies()
        try:
            outcomes: list[Outcome] = [(True, drive_direct(raw, job.body)) for job in batch if job.body is not None]
            raw.execute("COMMIT")
        except BaseException as err:
            with contextlib.suppress(sqlite3.Error):
                raw.execute("ROLLBACK")
            self._jobs.extendleft(reversed(batch))
            if not isinstance(err, Exception):
                raise
            return False
        self.batches += 1
        self.inline_batches += 1
        _settle_all(batch, outcomes)
        return True

    def _commit_on_thread(self, raw: sqlite3.Connection, loop: asyncio.AbstractEventLoop) -> None:
        """Commit the next batch of one-hop bodies on the writer's thread, waiting for the write lock if
        another connection holds it."""
        self._set_busy_timeout(raw, BUSY_TIMEOUT_MS)
        batch = self._take_bodies()
        try:
            outcomes = run_bodies(raw, True, [job.body for job in batch if job.body is not None], True)
        except BaseException as err:  # BEGIN or COMMIT failed (busy, disk full): nothing of the batch is kept
            with contextlib.suppress(sqlite3.Error):  # a transaction left open by the failure, if any
                raw.execute("ROLLBACK")
            loop.call_soon_threadsafe(_settle_all, batch, [(False, err)] * len(batch))
            if not isinstance(err, Exception):
                raise
            return
        self.batches += 1
        loop.call_soon_threadsafe(_settle_all, batch, outcomes)

    async def _batch(self, writer: SqliteConn, jobs: list[_Job]) -> None:
        """One transaction for the jobs: runs of bodies in one hop each, holders in their turn."""
        outcomes: dict[int, Outcome] = {}
        begun = committed = False
        try:
            i = 0
            while i < len(jobs):
                run = []
                while i < len(jobs) and jobs[i].body is not None:
                    run.append(jobs[i])
                    i += 1
                if run:
                    last = i == len(jobs)
                    results = await writer.on_thread(run_bodies, not begun, [j.body for j in run], last)
                    begun, committed = True, last
                    outcomes.update(zip(map(id, run), results, strict=True))
                if i < len(jobs):
                    holder = jobs[i]
                    i += 1
                    if holder.turn.cancelled():
                        continue
                    await writer.on_thread(open_savepoint, not begun)
                    begun = True
                    if holder.turn.cancelled():  # its task was cancelled while the savepoint opened
                        await writer.on_thread(close_savepoint, False)
                        continue
                    holder.turn.set_result(None)
                    keep = await asyncio.shield(holder.released)
                    await writer.on_thread(close_savepoint, keep)
                    outcomes[id(holder)] = (True, None)
            if begun and not committed:
                await writer.on_thread(commit_or_undo)
        except BaseException as err:
            if not committed:  # a hop that failed may have left its transaction open; none open: no-op
                with contextlib.suppress(sqlite3.Error, ValueError):
                    await writer.execute("ROLLBACK")
            for job in jobs:
                _settle(job.done, (False, err))
                if job.body is None and not job.turn.done():
                    job.turn.set_exception(err)
            if not isinstance(err, Exception):
                raise
            return
        self.batches += 1
        for job in jobs:
            _settle(job.done, outcomes.get(id(job), (True, None)))

    # --- readers --------------------------------------------------------------------------------------

    async def run_read(self, body: Callable[[Conn], Awaitable[T]]) -> T:
        """Run a read-only body in one hop, as one consistent snapshot of committed data (see ``run_write``).

        Reads that queue up while others run go to the reader's thread together.
        """
        if self._reader is None:
            raise RuntimeError("database is not connected")
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._reads.append((body, fut))
        if self._read_drainer is None:
            self._read_drainer = asyncio.get_running_loop().create_task(self._drain_reads(self._reader))
        result: T = await fut
        return result

    async def _drain_reads(self, reader: SqliteConn) -> None:
        try:
            while self._reads:
                reads = self._reads[:MAX_BATCH]
                del self._reads[:MAX_BATCH]
                try:
                    results = await reader.on_thread(read_bodies, [body for body, _ in reads])
                except BaseException as err:
                    for _, fut in reads:
                        _settle(fut, (False, err))
                    if not isinstance(err, Exception):
                        raise
                    continue
                for (_, fut), outcome in zip(reads, results, strict=True):
                    _settle(fut, outcome)
        finally:
            self._read_drainer = None

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        """A connection that sees only committed data."""
        if self._reader is None:
            raise RuntimeError("database is not connected")
        yield self._reader
