"""Runs due timers: claimed under a lease so one node runs each, retried with backoff when a handler fails.

A handler finishes its timer inside its own transaction (``finish``) before doing the work, so the
work and the timer's removal commit together: a timer is never run twice to completion, and one
whose node died mid-run is claimed again once its lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from callcenter.clock import Clock
from callcenter.db import Conn, Database
from callcenter.timers import store
from callcenter.timers.models import Timer

log = logging.getLogger(__name__)

Handler = Callable[[Timer], Awaitable[None]]

LEASE_MS = 30_000  # a node that dies holding a timer gives it up after this long
BATCH = 100
POLL_S = 0.25
RETRY_MS = 5_000  # times the attempt number: 5 s, 10 s, 15 s …
MAX_RETRY_MS = 300_000


class TimerService:
    """Arms timers in the caller's transaction and runs the due ones through registered handlers."""

    def __init__(self, db: Database, clock: Clock, node_id: str | None = None) -> None:
        self.db = db
        self.clock = clock
        self.node_id = node_id or uuid.uuid4().hex[:12]
        self._handlers: dict[str, Handler] = {}

    def register(self, kind: str, handler: Handler) -> None:
        """Say who runs timers of a kind; an unregistered kind waits for a node that knows it."""
        if kind in self._handlers:
            raise ValueError(f"timers of kind {kind!r} already have a handler")
        self._handlers[kind] = handler

    async def arm(self, conn: Conn, kind: str, key: str, due_at: int, payload: dict[str, Any] | None = None) -> None:
        """Arm (or move) a timer as part of the caller's transaction."""
        await store.arm(conn, kind, key, due_at, payload or {}, self.clock.now_ms())

    async def arm_if_absent(self, conn: Conn, kind: str, key: str, due_at: int,
                            payload: dict[str, Any] | None = None) -> bool:
        """Arm a timer unless one is armed already (recurring jobs at start)."""
        return await store.arm_if_absent(conn, kind, key, due_at, payload or {}, self.clock.now_ms())

    async def disarm(self, conn: Conn, kind: str, key: str) -> bool:
        """Cancel a timer as part of the caller's transaction."""
        return await store.disarm(conn, kind, key)

    async def finish(self, conn: Conn, timer: Timer) -> bool:
        """Remove the timer being run, in the handler's transaction; False: it was re-armed or taken over,
        so the handler must not act on it."""
        return await store.finish(conn, timer, self.node_id)

    async def run_due(self, limit: int = BATCH) -> int:
        """Claim what is due now and run it; the number of timers run."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            claimed = await store.claim_due(conn, now, self.node_id, LEASE_MS, limit)
        ran = 0
        for timer in claimed:
            handler = self._handlers.get(timer.kind)
            if handler is None:
                async with self.db.transaction() as conn:
                    await store.release(conn, timer, self.node_id, now + RETRY_MS)
                continue
            try:
                await handler(timer)
            except Exception:
                log.exception("timer %s/%s failed (attempt %d)", timer.kind, timer.key, timer.attempts)
                async with self.db.transaction() as conn:
                    delay = min(MAX_RETRY_MS, RETRY_MS * timer.attempts)
                    await store.release(conn, timer, self.node_id, self.clock.now_ms() + delay)
                continue
            async with self.db.transaction() as conn:
                await store.finish(conn, timer, self.node_id)  # a handler that had nothing to do
            ran += 1
        return ran

    async def run(self, poll_s: float = POLL_S) -> None:
        """Run due timers until cancelled; a failing round is logged and the loop goes on."""
        while True:
            try:
                while await self.run_due() == BATCH:
                    pass
            except Exception:
                log.exception("timer round failed")
            await asyncio.sleep(poll_s)

    async def get(self, kind: str, key: str) -> Timer | None:
        """One armed timer, for tests and the supervisor's view of what is pending."""
        async with self.db.read() as conn:
            return await store.get(conn, kind, key)


@contextlib.asynccontextmanager
async def running(timers: TimerService, poll_s: float = POLL_S) -> Any:
    """Run the timer loop for the duration of a block (the application's lifetime)."""
    task = asyncio.create_task(timers.run(poll_s), name="timers")
    try:
        yield timers
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
