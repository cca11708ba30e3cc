"""The machinery every routing change shares: the in-memory router kept in step with the database.

Every change that can move an agent or a routed call runs as one ``_run``: under this node's
routing lock, in one transaction (one hop on SQLite) that first bumps ``routing_state.version``.
A node whose last known version is not the one it finds rebuilds its router from the tables
before deciding, so several nodes agree; on PostgreSQL the bump's row lock makes routing changes
from all nodes happen one after another.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from callcenter.clock import Clock
from callcenter.console.models import Notifier
from callcenter.db import Conn, Database, Row
from callcenter.routing import store
from callcenter.routing.change import Change, Popper, apply_decisions, sync_agent
from callcenter.routing.engine import Router
from callcenter.routing.models import Decision
from callcenter.timers.service import TimerService

T = TypeVar("T")
log = logging.getLogger(__name__)
# Deadlock and serialization failure: the whole transaction runs again (callcenter/dbpg.py).
RETRY_SQLSTATES = ("40P01", "40001")


class RoutingCore:
    """The in-memory router, the lock and the transaction every routing change runs in."""

    def __init__(self, db: Database, clock: Clock, notifier: Notifier, timers: TimerService) -> None:
        self.db = db
        self.clock = clock
        self.notifier = notifier
        self.timers = timers
        self.popper: Popper | None = None  # set by the application: telephony builds screen pops
        self.router = Router()
        self._version: int | None = None  # the routing_state version the router reflects; None: rebuild
        self._wrap_up_s: dict[str, int] = {}
        self._queue_names: dict[str, dict[str, Any]] = {}
        # Agents' stored presence and work as last written (agents_view rows), valid with the router.
        self._stored: dict[int, Row] = {}

    async def _apply(self, tx: Change, decisions: Sequence[Decision]) -> None:
        await apply_decisions(tx, self.router, self.timers, decisions)

    async def _sync(self, tx: Change, user_id: int, **how: Any) -> None:
        await sync_agent(tx, self.router, user_id, stored=self._stored, **how)

    @property
    def node_id(self) -> str:
        """This server process's name among the nodes."""
        return self.timers.node_id

    # --- the one way to change routing state ----------------------------------------------------------

    async def _run(self, body: Callable[[Change], Awaitable[T]]) -> T:
        """Run a routing change in one transaction (one hop on SQLite).

        The body and everything it calls await only the connection (store functions, timers,
        pushes recorded in the outbox). Changes take turns without a lock of their own: on SQLite
        the one writer runs bodies one at a time, on PostgreSQL the first statement (the version
        bump) waits for the row lock of any change in progress. So the router moves one change at
        a time, and nobody waits for another change's commit while holding anything in memory.
        """
        tx = Change(None, self.clock.now_ms(), popper=self.popper)  # type: ignore[arg-type]

        async def inner(conn: Conn) -> T:
            await self._enter(tx, conn)
            result = await body(tx)
            await self._settle(tx)
            return result

        try:
            result = await self.db.run_write(inner)
        except BaseException:
            self.write_failed()
            raise
        await self._emit(tx)
        return result

    async def _run_within(self, conn: Conn, now: int, body: Callable[[Change], Awaitable[None]]) -> Change | None:
        """Run a routing change inside another writer's transaction (a telephony event's, say).

        The change has a savepoint of its own: when it fails, it is undone alone and the router is
        rebuilt on the next change, so the writer's own work (a stored call event) still commits.
        Returns the change, whose pushes the caller emits after its commit (``_emit``), or None.
        A deadlock or serialization failure is left to the writer, which runs again in whole.
        """
        tx = Change(None, now, popper=self.popper)  # type: ignore[arg-type]
        await conn.execute("SAVEPOINT routing")
        try:
            await self._enter(tx, conn)
            await body(tx)
            await self._settle(tx)
        except Exception as err:
            self.write_failed()
            if getattr(err, "sqlstate", None) in RETRY_SQLSTATES:
                raise
            await conn.execute("ROLLBACK TO routing")
            await conn.execute("RELEASE routing")
            log.exception("routing change failed inside another write; the router is rebuilt on the next change")
            return None
        await conn.execute("RELEASE routing")
        return tx

    async def _enter(self, tx: Change, conn: Conn) -> None:
        """Start a change: take the version (the turn), and rebuild the router when it is behind."""
        # PostgreSQL runs a body again after a deadlock: the router still holds the rolled-back
        # run's changes, so it is rebuilt from the tables first.
        rerun = tx.conn is not None
        tx.conn = conn
        tx.pushes, tx.broadcasts, tx.touched = [], [], set()
        tx.before = await store.bump_version(conn, self.node_id)
        if tx.before != self._version or rerun:
            await self._load(tx)
        self._version = None  # until this change is through, the router is mid-change

    async def _settle(self, tx: Change) -> None:
        """End a change: bring the agents it touched in step, and note the version it leaves."""
        for user_id in sorted(tx.touched):
            await self._sync(tx, user_id)
        self._version = tx.before + 1  # the next change, queued behind this one, starts from here

    def write_failed(self) -> None:
        """The transaction a change ran in rolled back: the router may hold changes the tables do not."""
        self._version = None

    async def _emit(self, tx: Change) -> None:
        """Send a committed change's pushes and broadcasts."""
        await self.notifier.send(tx.pushes)
        for room, event, payload in tx.broadcasts:
            await self.notifier.broadcast(room, event, payload)

    async def _load(self, tx: Change) -> None:
        """Rebuild the router from the tables (at start, after another node's change, after a failure)."""
        conn = tx.conn
        agents = await store.routable_agents(conn, tx.now)
        queues = await store.routing_queues(conn)
        self._queue_names = {q["key"]: q for q in await store.queue_settings(conn)}
        self._wrap_up_s = {k: int(v["wrap_up_s"]) for k, v in self._queue_names.items()}
        waiting = await store.live_routed(conn)
        self._stored = {r["id"]: r for r in await store.agents_view(conn)}
        self.router.load(agents, queues, waiting)
        await self._apply(tx, self.router.match_waiting(tx.now))

    async def reload(self) -> None:
        """Rebuild from the database now (configuration changed)."""
        async def body(tx: Change) -> Any:
            await self._load(tx)
        await self._run(body)

    async def config_changed(self) -> None:
        """Skills, queues or an agent's role changed: rebuild on next use (and now, to offer waiting calls)."""
        self._version = None
        await self.reload()

    async def _ensure_agent(self, tx: Change, user_id: int) -> bool:
        """Make sure the router knows a routable user created since it was built; False: not routable."""
        if self.router.knows(user_id):
            return True
        state = await store.routable_agent(tx.conn, user_id, tx.now)
        if state is None:
            return False
        await self._apply(tx, self.router.put_agent(state, tx.now))
        return True
