"""Presence follows the agent's sockets: counted per node in the database, offline 30 s after the last closes.

This part only counts sockets and arms or disarms the ``presence_offline`` timer; the routing
service runs that timer (it changes presence, which moves calls).
"""

from __future__ import annotations

from callcenter.clock import Clock
from callcenter.db import Database
from callcenter.routing import store
from callcenter.timers.service import TimerService

OFFLINE = "presence_offline"
OFFLINE_GRACE_MS = 30_000  # presence turns offline this long after an agent's last socket closes
NODE_DEAD_MS = 45_000  # a node not seen this long is gone, and its sockets with it


class SocketPresence:
    """Sockets opened and closed on this node, node heartbeats, and the offline grace period."""

    def __init__(self, db: Database, clock: Clock, timers: TimerService) -> None:
        self.db = db
        self.clock = clock
        self.timers = timers

    @property
    def node_id(self) -> str:
        """This server process's name among the nodes."""
        return self.timers.node_id

    async def connected(self, user_id: int, sid: str) -> None:
        """A socket of the user opened (on this node): they are no longer going offline."""
        async with self.db.transaction() as conn:
            await store.add_connection(conn, sid, user_id, self.node_id, self.clock.now_ms())
            await self.timers.disarm(conn, OFFLINE, str(user_id))

    async def disconnected(self, user_id: int, sid: str) -> None:
        """A socket closed; with none left on any node, the user goes offline after a grace period."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            await store.drop_connection(conn, sid)
            if await store.connection_count(conn, user_id) == 0:
                await self.timers.arm(conn, OFFLINE, str(user_id), now + OFFLINE_GRACE_MS, {"user_id": user_id})

    async def heartbeat(self) -> None:
        """Say this node lives; forget dead nodes' sockets, and start the grace period of users left with none."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            await store.node_seen(conn, self.node_id, now)
            for user_id in await store.forget_dead_nodes(conn, now - NODE_DEAD_MS):
                if await store.connection_count(conn, user_id) == 0:
                    await self.timers.arm(conn, OFFLINE, str(user_id), now + OFFLINE_GRACE_MS,
                                          {"user_id": user_id})

    async def stop(self) -> None:
        """At a clean stop: this node's sockets are gone, so their users' grace periods start."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            for user_id in await store.drop_node_connections(conn, self.node_id):
                if await store.connection_count(conn, user_id) == 0:
                    await self.timers.arm(conn, OFFLINE, str(user_id), now + OFFLINE_GRACE_MS,
                                          {"user_id": user_id})
