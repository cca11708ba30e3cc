"""SQLite's WAL kept short under a steady writer: passive checkpoints on a connection of their own,
and a RESTART that the writer runs when asked (``callcenter/dbsqlite.py``; docs/STORAGE.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable

from callcenter.dbconn import SqliteConn

CHECKPOINT_EVERY_S = 1.0
BACKSTOP_CHECKPOINT_PAGES = 100_000  # ~400 MB of WAL: the writer's own checkpoint, only if this one stopped
# WAL frames after which the checkpointer also makes the WAL start over (~64 MB; see WalKeeper).
RESTART_AFTER_FRAMES = 16_384
# Before asking for it, passive rounds are repeated (at most CATCH_UP_ROUNDS) until one copied no more
# than CAUGHT_UP_FRAMES new frames: the RESTART then has little to copy and sync on the writer's thread.
CATCH_UP_ROUNDS = 3
CAUGHT_UP_FRAMES = 512
# How long that RESTART may wait for the writer lock and for readers, holding writers off (ms).
RESTART_WAIT_MS = 50
log = logging.getLogger(__name__)

SetBusyTimeout = Callable[[sqlite3.Connection, int], None]


class WalKeeper:
    """Copies committed WAL frames into the database file without blocking writers (PASSIVE), and
    has the WAL start over once it is long (RESTART).

    Under a steady stream of commits a passive checkpoint never catches up with the writer, and
    only a WAL copied to its end starts over. The WAL would then grow to the writer's backstop,
    whose checkpoint runs inside a commit: syncing megabytes there, a 20-30 ms stall every few
    seconds at 1,200 call events/s. A RESTART right after a passive round has only the last few
    frames to copy and sync. Once the WAL is long, ``restart_due`` asks the writer to run one
    between two batches (``restart``); it gives up quickly on readers still in the WAL (a long
    report being read) and is asked again on a later round.
    """

    def __init__(self, conn: SqliteConn, wake_writer: Callable[[], None]) -> None:
        self.conn = conn
        self.restart_due = False
        self.frames = 0  # the WAL's length as the last round found it
        self._wake_writer = wake_writer  # called when a restart is due and the writer may be idle
        self._rounds: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin the rounds (every ``CHECKPOINT_EVERY_S``)."""
        self._rounds = asyncio.get_running_loop().create_task(self._every(CHECKPOINT_EVERY_S))

    async def stop(self) -> None:
        """End the rounds; the connection stays open for its owner to close."""
        if self._rounds is not None:
            self._rounds.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._rounds
            self._rounds = None

    async def _every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                log_frames = await self.passive()
                if log_frames >= RESTART_AFTER_FRAMES:
                    await self.catch_up(log_frames)
            except sqlite3.Error:  # busy or I/O trouble: the next round (or the writer's backstop) retries
                log.warning("WAL checkpoint failed", exc_info=True)
                continue
            if log_frames >= RESTART_AFTER_FRAMES:
                self.restart_due = True
                self._wake_writer()

    async def passive(self) -> int:
        """Copy the WAL's committed frames into the database file; return how many frames the WAL holds."""
        done = await self.conn.fetchone("PRAGMA wal_checkpoint(PASSIVE)")
        self.frames = 0 if done is None else int(done["log"])
        return self.frames

    async def catch_up(self, log_frames: int) -> None:
        """Copy again what came in during the last passive round, until little is left (before a RESTART).

        A RESTART runs on the writer's thread and copies and syncs whatever no passive round has
        copied yet. Right after a long round (~50 ms at 1,200 call events/s) that is every page
        written meanwhile: hundreds of scattered index pages, a sync that took 20-35 ms once the
        indexes had spread over a large file. Each extra round copies only what the one before
        let in, so the RESTART is left a few milliseconds' worth of frames.
        """
        for _ in range(CATCH_UP_ROUNDS):
            newer = await self.passive()
            if newer - log_frames <= CAUGHT_UP_FRAMES:
                return
            log_frames = newer

    def restart(self, raw: sqlite3.Connection, set_busy_timeout: SetBusyTimeout) -> None:
        """Let the WAL start over, when due (on the writer's thread, with the writer's connection, between batches).

        The writer does it itself because a writer that keeps committing holds its lock nearly all
        the time: another connection's RESTART, polling for that lock, gave up now and then, and
        the WAL then grew to the backstop. Readers still reading an older snapshot are waited for
        at most RESTART_WAIT_MS; busy then, the next round asks again. The writer sets its own
        timeout again before its next statement.
        """
        if not self.restart_due:
            return
        self.restart_due = False
        set_busy_timeout(raw, RESTART_WAIT_MS)
        try:
            raw.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
        except sqlite3.Error:
            log.warning("WAL restart failed", exc_info=True)
