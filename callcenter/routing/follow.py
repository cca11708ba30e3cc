"""What telephony events do to agents and the router: display-only ringing, answered, over.

Telephony calls ``call_written`` inside the transaction that stored the event, so a call event
and the routing change it causes commit together (one body for both).
"""

from __future__ import annotations

from callcenter.db import Conn
from callcenter.routing import store
from callcenter.routing.change import OVERFLOW, RING_TIMEOUT, WRAP_UP, Change
from callcenter.routing.core import RoutingCore
from callcenter.routing.models import CallFacts, WorkState

FINAL_CALL_STATES = ("ended", "abandoned", "missed", "transferred")


class CallFollower(RoutingCore):
    """Keeps agents' work and the router in step with the calls a PBX reports."""

    default_wrap_up_s: int

    async def call_written(self, conn: Conn, call: CallFacts, now: int) -> Change | None:
        """Bring agents and the router in step with a call after a telephony event (any order, any
        repeat), inside the transaction that stored the event (telephony calls this); returns the
        change, whose pushes and broadcasts telephony sends with its own once that transaction commits."""
        async def body(tx: Change) -> None:
            await self._follow(tx, call)
        return await self._run_within(conn, now, body)

    async def _follow(self, tx: Change, call: CallFacts) -> None:
        """Agents' work and the router after a call event: display-only ringing, answered, over."""
        conn, now, call_id = tx.conn, tx.now, call.call_id
        key = str(call_id)
        routed = await store.get_routed(conn, call_id)
        rung = [uid for uid in call.rung if await self._ensure_agent(tx, uid)]
        agent_id = call.agent_id if call.agent_id is not None and await self._ensure_agent(
            tx, call.agent_id) else None
        state = call.state
        if state == "ringing":
            for uid in rung:
                if self.router.knows(uid) and self.router.work(uid) is WorkState.IDLE \
                        and self.router.ringing_call(uid) is None:
                    await self._sync(tx, uid, display=(WorkState.RINGING, call_id))
            return
        # The routed row lets go of its agent before any decision is carried out: a freed agent
        # offered another call must not still hold this one (one ringing call per agent).
        reserved = routed["ringing_agent_id"] if routed is not None and routed["state"] == "ringing" else None
        if reserved is not None and self.router.knows(reserved):
            tx.touched.add(reserved)
        if state == "answered" and agent_id is not None:
            if routed is not None and routed["state"] in ("waiting", "ringing"):
                await store.update_routed(conn, call_id, now, state="answered", ringing_agent_id=agent_id,
                                          ringing_since=None)
                await self.timers.disarm(conn, RING_TIMEOUT, key)
                await self.timers.disarm(conn, OVERFLOW, key)
            await self._apply(tx, self.router.answered(key, agent_id, now))
            tx.touched.update(u for u in [agent_id, *rung] if self.router.knows(u))
            return
        if state not in FINAL_CALL_STATES:
            return
        if routed is not None and routed["state"] in ("waiting", "ringing"):
            await store.update_routed(conn, call_id, now, state="gone", ringing_agent_id=None)
            tx.broadcast("supervisors", "routing:call", {"call_id": call_id, "state": "gone"})
        if agent_id is not None and call.answered:
            queue_key = routed["queue_key"] if routed else call.queue
            wrap_s = self._wrap_up_s.get(queue_key or "", self.default_wrap_up_s)
            was_on_call = self.router.on_call(agent_id, key)
            await self._apply(tx, self.router.ended(key, agent_id, now, wrap_up=wrap_s > 0))
            if was_on_call and self.router.work(agent_id) is WorkState.WRAP_UP:
                due = now + wrap_s * 1000
                await self.timers.arm(conn, WRAP_UP, str(agent_id), due, {"call_id": call_id, "user_id": agent_id})
                await self._sync(tx, agent_id, wrap=(call_id, queue_key if queue_key in self._wrap_up_s else None,
                                                     due))
            else:
                tx.touched.add(agent_id)
        else:
            await self._apply(tx, self.router.remove_call(key, now))
        if routed is not None:  # only routed calls have ring and overflow timers
            await self.timers.disarm(conn, RING_TIMEOUT, key)
            await self.timers.disarm(conn, OVERFLOW, key)
        tx.touched.update(u for u in rung if self.router.knows(u))
