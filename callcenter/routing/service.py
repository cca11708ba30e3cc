"""Agents' states and inbound routing: what each event, question, wrap-up and timer does.

Each operation is one ``RoutingCore._run`` change (see core.py for how nodes stay in step); the
agent's stored state is written in one place (``change.sync_agent``), which also keeps the
time-in-state ledger and pushes ``agent:state``. The unique index on ringing agents keeps one
agent from ringing for two calls whatever happens.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any, Protocol

from callcenter.accounts.models import Actor
from callcenter.audit.service import record
from callcenter.clock import Clock
from callcenter.console.models import Notifier
from callcenter.db import Conn, Database
from callcenter.errors import Conflict, Invalid, NotFound, field_error
from callcenter.routing import store
from callcenter.routing.board import SupervisorBoard
from callcenter.routing.change import (
    OVERFLOW,
    RING_TIMEOUT,
    WRAP_UP,
    Change,
    answer_for,
    settled_answer,
    state_payload,
)
from callcenter.routing.engine import MISSED_CALLS
from callcenter.routing.follow import FINAL_CALL_STATES, CallFollower
from callcenter.routing.models import (
    Action,
    Decision,
    Presence,
    RouteAnswer,
    Rule,
    WaitingCall,
    WorkState,
)
from callcenter.routing.presence import OFFLINE, SocketPresence
from callcenter.timers.models import Timer
from callcenter.timers.service import TimerService

log = logging.getLogger(__name__)

AWAY_REASONS = ("break", "lunch", "meeting", "training", MISSED_CALLS, "disconnected")
DEFAULT_WRAP_UP_S = 60
MAX_NOTES = 10_000


CLOSED = "closed_hours"


class NumberRoute(Protocol):
    """What routing needs of a dialled number (the numbers feature provides it)."""

    number_id: int
    queue_key: str
    region: str
    closed_action: str
    closed_message: str | None


class NumberRouter(Protocol):
    """Finds a dialled number's route and whether it is open now."""

    async def route(self, number_raw: str, now_ms: int) -> tuple[Any, bool] | None:
        """(the NumberRoute, open now) or None for a number nobody configured."""
        ...


class RoutingService(CallFollower):
    """Owns agents' presence and work, routes calls, and explains each decision.

    The machinery every change shares (the lock, the transaction, the rebuild) is ``RoutingCore``;
    ``presence`` counts sockets across nodes (``presence.py``); ``board`` is the supervisor's reads.
    """

    def __init__(self, db: Database, clock: Clock, notifier: Notifier, timers: TimerService,
                 numbers: NumberRouter | None = None, default_wrap_up_s: int = DEFAULT_WRAP_UP_S) -> None:
        super().__init__(db, clock, notifier, timers)
        self.numbers = numbers
        self.default_wrap_up_s = default_wrap_up_s
        self.presence = SocketPresence(db, clock, timers)
        self.board = SupervisorBoard(db, clock)
        timers.register(RING_TIMEOUT, self._ring_timeout)
        timers.register(WRAP_UP, self._wrap_up_due)
        timers.register(OVERFLOW, self._overflow_due)
        timers.register(OFFLINE, self._offline_due)

    # --- agents ------------------------------------------------------------------------------------------

    async def set_presence(self, user_id: int, presence: Presence, reason: str | None,
                           actor: Actor | None = None) -> dict[str, Any]:
        """Change presence; a supervisor's change (``actor`` set) is audited. The agent's new state."""
        presence = Presence(presence)
        if presence is Presence.AWAY:
            reason = reason or "break"
            if reason not in AWAY_REASONS:
                raise Invalid("unknown away reason", field_error("reason", f"one of {', '.join(AWAY_REASONS)}"))
        else:
            reason = None
        async def body(tx: Change) -> Any:
            if not await self._ensure_agent(tx, user_id):
                raise NotFound("no such agent")
            await self._apply(tx, self.router.set_presence(user_id, presence, tx.now, reason))
            if actor is not None and actor.user_id != user_id:
                tx.set_by = actor.user_id
                await record(tx.conn, tx.now, actor, "agent.presence", "user", user_id, presence=presence.value,
                             reason=reason)
            tx.touched.add(user_id)
        await self._run(body)
        return await self.agent_state(user_id)

    async def agent_changed(self, user_id: int) -> None:
        """A user's role, skills or enabled flag changed: re-read them (a call ringing them may move on)."""
        async def body(tx: Change) -> Any:
            self._stored.pop(user_id, None)  # names or role may have changed: read the row again
            state = await store.routable_agent(tx.conn, user_id, tx.now)
            if state is None:
                if self.router.knows(user_id):  # disabled, or no longer an agent: offline first
                    await self._apply(tx, self.router.set_presence(user_id, Presence.OFFLINE, tx.now))
                    await self._sync(tx, user_id)
                await self._apply(tx, self.router.forget_agent(user_id, tx.now))
            else:
                # A new user has no state to show yet (offline, idle): nothing is pushed to them.
                await self._apply(tx, self.router.put_agent(state, tx.now))
        await self._run(body)

    async def agent_state(self, user_id: int) -> dict[str, Any]:
        """An agent's presence and work as pushed in ``agent:state``."""
        async with self.db.read() as conn:
            rows = await store.agents_view(conn, [user_id])
            if not rows:
                raise NotFound("no such agent")
            return await state_payload(conn, rows[0])

    async def state_part(self, conn: Conn, user: Any) -> dict[str, Any]:
        """The console snapshot's part: the agent's presence and work (and wrap-up with dispositions)."""
        rows = await store.agents_view(conn, [user.id])
        if not rows:
            return {"user_id": user.id, "presence": "offline", "reason": None, "since": user.created_at,
                    "work": "idle", "call_id": None, "work_since": user.created_at, "wrap_up": None}
        return await state_payload(conn, rows[0])

    # --- routing: the PBX asks where a call goes ------------------------------------------------------------

    async def route_inbound(self, call_id: int, dialled: str | None, queue_hint: str | None,
                            *, asked: bool = True) -> RouteAnswer | None:
        """Where an inbound call goes: closed hours by the dialled number's calendar, else its queue's routing.

        The queue is the dialled number's; without a configured number, the queue the PBX named.
        Asked again about the same call, the answer follows the call's current state. When the PBX
        did not ask explicitly (``asked`` False: Zammad's newCall, Twilio's voice webhook) and no
        queue applies, None: the call is not ours to route and the PBX goes on as configured.
        """
        now = self.clock.now_ms()
        found = await self.numbers.route(dialled, now) if self.numbers is not None and dialled else None
        queue_key = found[0].queue_key if found else queue_hint
        if not asked and found is None and (queue_key is None or self.router.queue(queue_key) is None):
            async with self.db.read() as conn:
                if await store.get_routed(conn, call_id) is None:
                    return None
        if found is not None and not found[1]:
            return await self._closed(call_id, found[0])
        return await self.route(call_id, queue_key)

    async def region_for(self, dialled: str) -> str | None:
        """The region a dialled number of ours reads its callers' numbers in, or None when it is not ours."""
        found = await self.numbers.route(dialled, self.clock.now_ms()) if self.numbers is not None else None
        return found[0].region if found is not None else None

    async def _closed(self, call_id: int, route: Any) -> RouteAnswer:
        async def body(tx: Change) -> Any:
            if await store.insert_routed(tx.conn, call_id, route.queue_key, tx.now, None, None, tx.now):
                await store.update_routed(tx.conn, call_id, tx.now, state="closed", target=route.closed_action)
                payload = {"call_id": str(call_id), "queue_id": route.queue_key, "action": Action.CLOSED.value,
                           "agent_id": None, "target": route.closed_action, "rule": CLOSED, "candidates": [],
                           "excluded": [], "qualified": 0, "free": 0, "waited_ms": 0, "bonus_ms": 0,
                           "decided_at": tx.now}
                decision_id = await store.insert_decision(tx.conn, call_id, payload, tx.now)
                tx.broadcast("supervisors", "routing:decision", {**payload, "id": decision_id, "call_id": call_id})
        await self._run(body)
        return RouteAnswer(Action.CLOSED, call_id, route.queue_key, CLOSED, target=route.closed_action,
                           message=route.closed_message)

    async def route(self, call_id: int, queue_key: str | None) -> RouteAnswer:
        """Choose an agent for a call in a queue, queue it, or overflow it; idempotent per call."""
        async def body(tx: Change) -> Any:
            conn, now = tx.conn, tx.now
            routed = await store.get_routed(conn, call_id)
            if routed is not None and routed["state"] not in ("waiting", "ringing"):
                return await settled_answer(conn, call_id, routed)
            call = await store.get_call(conn, call_id)
            if call is None:
                raise NotFound("no such call")
            if routed is None:
                if call["state"] in FINAL_CALL_STATES:
                    return RouteAnswer(Action.REJECT, call_id, queue_key, "call_over")
                if queue_key is None or self.router.queue(queue_key) is None:
                    decision = Decision(str(call_id), queue_key or "", Action.REJECT, Rule.UNKNOWN_QUEUE, now)
                    await store.insert_routed(conn, call_id, queue_key or "", now, None, None, now)
                    await self._apply(tx, [decision])
                    return answer_for(self.router, decision)
                await store.insert_routed(conn, call_id, queue_key, now, call["tier"], call["dedicated_agent_id"],
                                          now)
                waiting = WaitingCall(str(call_id), queue_key, now, call["tier"], call["dedicated_agent_id"])
            else:
                waiting = WaitingCall(str(call_id), routed["queue_key"], routed["enqueued_at"],
                                      routed["customer_tier"], routed["dedicated_agent_id"])
            decision = self.router.decide(waiting, now)
            quiet = decision.rule is Rule.ALREADY_RINGING or (
                routed is not None and routed["state"] == "waiting" and decision.action is Action.QUEUE)
            if not quiet:
                await self._apply(tx, [decision])
            answer = answer_for(self.router, decision)
            if decision.rule is Rule.ALREADY_RINGING:  # asked again: say which rule reserved the agent
                last = await store.last_decision(conn, call_id)
                answer = replace(answer, rule=str(last["rule"])) if last else answer
            return answer
        return await self._run(body)

    # --- wrap-up -----------------------------------------------------------------------------------------

    async def wrap_up(self, user_id: int, call_id: int, disposition_id: int | None, notes: str | None,
                      *, actor: Actor | None = None) -> dict[str, Any]:
        """Finish the wrap-up of a call with a disposition (one of its queue's) and notes; the agent is idle."""
        if notes is not None and len(notes) > MAX_NOTES:
            raise Invalid("notes too long", field_error("notes", f"at most {MAX_NOTES} characters"))
        async def body(tx: Change) -> Any:
            work = await store.get_work(tx.conn, user_id)
            if work is None or work["state"] != WorkState.WRAP_UP.value or work["call_id"] != call_id:
                raise Conflict("not wrapping up this call", field_error("call_id", "not the call being wrapped up"))
            disposition = None
            if disposition_id is not None:
                disposition = await store.get_disposition(tx.conn, disposition_id)
                queue = await store.queue_id_of(tx.conn, work["queue_key"]) if work["queue_key"] else None
                if disposition is None or not disposition.enabled or disposition.queue_id != queue:
                    raise Invalid("unknown disposition",
                                  field_error("disposition_id", "not a disposition of this call's queue"))
            elif work["queue_key"] and await store.dispositions_for(tx.conn, work["queue_key"]):
                raise Invalid("a disposition is required", field_error("disposition_id", "choose one"))
            await self._finish_wrap_up(tx, user_id, work, disposition, notes)
            if actor is not None and actor.user_id != user_id:
                await record(tx.conn, tx.now, actor, "agent.wrap_up", "call", call_id, user_id=user_id)
        await self._run(body)
        return await self.agent_state(user_id)

    async def _finish_wrap_up(self, tx: Change, user_id: int, work: dict[str, Any], disposition: Any,
                              notes: str | None) -> None:
        await store.record_wrap_up(
            tx.conn, work["call_id"], disposition.id if disposition else None, disposition.code if disposition
            else None, bool(disposition.first_contact_resolved) if disposition else None,
            notes.strip() if notes is not None else None, (tx.now - work["since"]) / 1000, tx.now)
        await self.timers.disarm(tx.conn, WRAP_UP, str(user_id))
        await self._apply(tx, self.router.wrap_up_done(user_id, tx.now))
        tx.touched.add(user_id)

    # --- timers ------------------------------------------------------------------------------------------

    async def _ring_timeout(self, timer: Timer) -> None:
        call_id, user_id = int(timer.payload["call_id"]), int(timer.payload["user_id"])
        async def body(tx: Change) -> Any:
            if not await self.timers.finish(tx.conn, timer):
                return
            await self._timed_out(tx, call_id, user_id)
        await self._run(body)

    async def ring_no_answer(self, call_id: int, user_id: int) -> None:
        """The PBX says the agent did not answer (Twilio's Dial ended no-answer): as the ring timer would."""
        async def body(tx: Change) -> Any:
            await self.timers.disarm(tx.conn, RING_TIMEOUT, str(call_id))
            await self._timed_out(tx, call_id, user_id)
        await self._run(body)

    async def _timed_out(self, tx: Change, call_id: int, user_id: int) -> None:
        if self.router.ringing_call(user_id) != str(call_id):
            return
        decisions = self.router.ring_timeout(str(call_id), user_id, tx.now)
        held = self.router.call(str(call_id))
        await store.update_routed(tx.conn, call_id, tx.now, ringing_agent_id=None, state="waiting",
                                  excluded=json.dumps(sorted(held.excluded) if held else [user_id]))
        await self._apply(tx, decisions)
        tx.touched.add(user_id)

    async def _wrap_up_due(self, timer: Timer) -> None:
        user_id, call_id = int(timer.payload["user_id"]), int(timer.payload["call_id"])
        async def body(tx: Change) -> Any:
            if not await self.timers.finish(tx.conn, timer):
                return
            work = await store.get_work(tx.conn, user_id)
            if work is None or work["state"] != WorkState.WRAP_UP.value or work["call_id"] != call_id:
                return
            await self._finish_wrap_up(tx, user_id, work, None, None)
        await self._run(body)

    async def _overflow_due(self, timer: Timer) -> None:
        async def body(tx: Change) -> Any:
            if not await self.timers.finish(tx.conn, timer):
                return
            await self._apply(tx, self.router.overflow_due(tx.now))
        await self._run(body)

    async def _offline_due(self, timer: Timer) -> None:
        user_id = int(timer.payload["user_id"])

        async def body(tx: Change) -> Any:
            if not await self.timers.finish(tx.conn, timer):
                return
            if await store.connection_count(tx.conn, user_id) > 0 or not self.router.knows(user_id):
                return
            if self.router.agent(user_id).presence is Presence.OFFLINE:
                return
            await self._apply(tx, self.router.set_presence(user_id, Presence.OFFLINE, tx.now))
            tx.touched.add(user_id)

        await self._run(body)

    async def start(self) -> None:
        """At start: register the node, forget its old sockets, build the router."""
        await self.presence.heartbeat()
        await self.reload()

    async def stop(self) -> None:
        """At a clean stop: this node's sockets are gone."""
        await self.presence.stop()
