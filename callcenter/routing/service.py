"""Agents' states and inbound routing: the in-memory router kept in step with the database.

Every change that can move an agent or a routed call (presence, a call event, a PBX asking where
a call goes, a wrap-up, a timer) runs as one ``_change``: under this node's routing lock, in one
transaction that first bumps ``routing_state.version``. A node whose last known version is not the
one it finds rebuilds its router from the tables before deciding, so several nodes agree; on
PostgreSQL the bump's row lock makes routing changes from all nodes happen one after another, and
the unique index on ringing agents keeps one agent from ringing for two calls whatever happens.
The agent's state is written in one place (``_sync_agent``), which also keeps the time-in-state
ledger and pushes ``agent:state``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from callcenter.accounts.models import Actor
from callcenter.audit.service import record
from callcenter.clock import Clock
from callcenter.console.models import Notifier, Push
from callcenter.console.service import record_pushes
from callcenter.db import Conn, Database
from callcenter.errors import Conflict, Invalid, NotFound, field_error
from callcenter.routing import ledger, store
from callcenter.routing.engine import MISSED_CALLS, Router
from callcenter.routing.models import (
    Action,
    Decision,
    Presence,
    Rule,
    WaitingCall,
    WorkState,
)
from callcenter.timers.models import Timer
from callcenter.timers.service import TimerService

log = logging.getLogger(__name__)
T = TypeVar("T")

AWAY_REASONS = ("break", "lunch", "meeting", "training", MISSED_CALLS, "disconnected")
OFFLINE_GRACE_MS = 30_000  # presence turns offline this long after an agent's last socket closes
NODE_HEARTBEAT_MS = 10_000
NODE_DEAD_MS = 45_000
RETRY_AFTER_S = 5  # how soon a PBX asks again about a waiting call
DEFAULT_WRAP_UP_S = 60
MAX_NOTES = 10_000

RING_TIMEOUT = "ring_timeout"
WRAP_UP = "wrap_up"
OVERFLOW = "overflow"
OFFLINE = "presence_offline"

FINAL_CALL_STATES = ("ended", "abandoned", "missed", "transferred")
CLOSED = "closed_hours"


class NumberRoute(Protocol):
    """What routing needs of a dialled number (the numbers feature provides it)."""

    number_id: int
    queue_key: str
    closed_action: str
    closed_message: str | None


class NumberRouter(Protocol):
    """Finds a dialled number's route and whether it is open now."""

    async def route(self, number_raw: str, now_ms: int) -> tuple[Any, bool] | None:
        """(the NumberRoute, open now) or None for a number nobody configured."""
        ...


@dataclass(frozen=True)
class RouteAnswer:
    """What to tell the PBX about one call, in no PBX's format yet."""

    action: Action
    call_id: int
    queue: str | None
    rule: str
    agent_id: int | None = None
    target: str | None = None
    retry_after_s: int | None = None
    message: str | None = None
    ring_timeout_s: int | None = None

    def payload(self) -> dict[str, Any]:
        """Our JSON protocol's answer (the agent as a user id; the API adds the username)."""
        out: dict[str, Any] = {"action": self.action.value, "call_id": self.call_id, "queue": self.queue,
                               "rule": self.rule}
        if self.agent_id is not None:
            out["agent_id"] = self.agent_id
        if self.target is not None:
            out["target"] = self.target
        if self.retry_after_s is not None:
            out["retry_after_s"] = self.retry_after_s
        if self.message is not None:
            out["message"] = self.message
        if self.ring_timeout_s is not None:
            out["ring_timeout_s"] = self.ring_timeout_s
        return out


@dataclass
class _Tx:
    """One routing change in progress: its connection, its moment, the pushes to emit after commit."""

    conn: Conn
    now: int
    before: int = 0  # the routing version this change started from
    pushes: list[Push] = field(default_factory=list)
    broadcasts: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)  # agents to bring in step before commit

    def broadcast(self, room: str, event: str, payload: dict[str, Any]) -> None:
        self.broadcasts.append((room, event, payload))


class RoutingService:
    """Owns agents' presence and work, routes calls, and explains each decision."""

    def __init__(self, db: Database, clock: Clock, notifier: Notifier, timers: TimerService,
                 numbers: NumberRouter | None = None, default_wrap_up_s: int = DEFAULT_WRAP_UP_S) -> None:
        self.db = db
        self.clock = clock
        self.notifier = notifier
        self.timers = timers
        self.numbers = numbers
        self.default_wrap_up_s = default_wrap_up_s
        self.router = Router()
        self._lock = asyncio.Lock()
        self._version: int | None = None  # the routing_state version the router reflects; None: rebuild
        self._wrap_up_s: dict[str, int] = {}
        self._queue_names: dict[str, dict[str, Any]] = {}
        timers.register(RING_TIMEOUT, self._ring_timeout)
        timers.register(WRAP_UP, self._wrap_up_due)
        timers.register(OVERFLOW, self._overflow_due)
        timers.register(OFFLINE, self._offline_due)

    @property
    def node_id(self) -> str:
        """This server process's name among the nodes."""
        return self.timers.node_id

    # --- the one way to change routing state ----------------------------------------------------------

    async def _run(self, body: Callable[[_Tx], Awaitable[T]]) -> T:
        """Run a routing change: under this node's lock, in one transaction (one hop on SQLite).

        The body and everything it calls await only the connection (store functions, timers,
        pushes recorded in the outbox): it runs on the database's thread with the lock held.
        """
        async with self._lock:
            tx = _Tx(None, self.clock.now_ms())  # type: ignore[arg-type]

            async def inner(conn: Conn) -> T:
                tx.conn = conn
                tx.pushes, tx.broadcasts, tx.touched = [], [], set()
                tx.before = await store.bump_version(conn, self.node_id)
                if tx.before != self._version:
                    await self._load(tx)
                result = await body(tx)
                for user_id in sorted(tx.touched):
                    await self._sync_agent(tx, user_id)
                return result

            try:
                result = await self.db.run_write(inner)
            except BaseException:
                self._version = None  # the router may hold changes the database rolled back
                raise
            self._version = tx.before + 1
        await self.notifier.send(tx.pushes)
        for room, event, payload in tx.broadcasts:
            await self.notifier.broadcast(room, event, payload)
        return result

    async def _load(self, tx: _Tx) -> None:
        """Rebuild the router from the tables (at start, after another node's change, after a failure)."""
        conn = tx.conn
        agents = await store.routable_agents(conn, tx.now)
        queues = await store.routing_queues(conn)
        self._queue_names = {q["key"]: q for q in await store.queue_settings(conn)}
        self._wrap_up_s = {k: int(v["wrap_up_s"]) for k, v in self._queue_names.items()}
        waiting = await store.live_routed(conn)
        self.router.load(agents, queues, waiting)
        await self._apply(tx, self.router.match_waiting(tx.now))

    async def reload(self) -> None:
        """Rebuild from the database now (configuration changed)."""
        async def body(tx: _Tx) -> Any:
            await self._load(tx)
        await self._run(body)

    async def config_changed(self) -> None:
        """Skills, queues or an agent's role changed: rebuild on next use (and now, to offer waiting calls)."""
        self._version = None
        await self.reload()

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
        async def body(tx: _Tx) -> Any:
            if not await self._ensure_agent(tx, user_id):
                raise NotFound("no such agent")
            await self._apply(tx, self.router.set_presence(user_id, presence, tx.now, reason))
            if actor is not None and actor.user_id != user_id:
                await record(tx.conn, tx.now, actor, "agent.presence", "user", user_id, presence=presence.value,
                             reason=reason)
            tx.touched.add(user_id)
        await self._run(body)
        return await self.agent_state(user_id)

    async def _ensure_agent(self, tx: _Tx, user_id: int) -> bool:
        """Make sure the router knows a routable user created since it was built; False: not routable."""
        if self.router.knows(user_id):
            return True
        state = await store.routable_agent(tx.conn, user_id, tx.now)
        if state is None:
            return False
        await self._apply(tx, self.router.put_agent(state, tx.now))
        return True

    async def agent_changed(self, user_id: int) -> None:
        """A user's role, skills or enabled flag changed: re-read them (a call ringing them may move on)."""
        async def body(tx: _Tx) -> Any:
            state = await store.routable_agent(tx.conn, user_id, tx.now)
            if state is None:
                await self._apply(tx, self.router.forget_agent(user_id, tx.now))
            else:
                await self._apply(tx, self.router.put_agent(state, tx.now))
                tx.touched.add(user_id)
        await self._run(body)

    async def agent_state(self, user_id: int) -> dict[str, Any]:
        """An agent's presence and work as pushed in ``agent:state``."""
        async with self.db.read() as conn:
            rows = await store.agents_view(conn, [user_id])
            if not rows:
                raise NotFound("no such agent")
            return await self._state_payload(conn, rows[0])

    async def state_part(self, conn: Conn, user: Any) -> dict[str, Any]:
        """The console snapshot's part: the agent's presence and work (and wrap-up with dispositions)."""
        rows = await store.agents_view(conn, [user.id])
        if not rows:
            return {"user_id": user.id, "presence": "offline", "reason": None, "since": user.created_at,
                    "work": "idle", "call_id": None, "work_since": user.created_at, "wrap_up": None}
        return await self._state_payload(conn, rows[0])

    async def _state_payload(self, conn: Conn, row: dict[str, Any]) -> dict[str, Any]:
        work = row["work"] or "idle"
        return {
            "user_id": row["id"], "presence": row["presence"] or "offline", "reason": row["reason"],
            "since": row["presence_since"], "work": work, "call_id": row["call_id"],
            "work_since": row["work_since"], "missed_in_row": row["missed_in_row"] or 0,
            "wrap_up": await self._wrap_up_part(conn, row["id"], row["call_id"], row["queue_key"])
            if work == WorkState.WRAP_UP.value else None,
        }

    async def _sync_agent(self, tx: _Tx, user_id: int, *, display: tuple[WorkState, int] | None = None,
                          wrap: tuple[int, str | None] | None = None) -> None:
        """Write the agent's presence and work as the router now has them; log and push when they changed.

        ``display`` shows ringing for a call the PBX rings itself (the router does not reserve those);
        ``wrap`` names the call and queue being wrapped up. The ledger's open row always matches
        ``agent_presence`` and ``agent_work``, so comparing with those is enough.
        """
        conn, now = tx.conn, tx.now
        if not self.router.knows(user_id):
            return
        rows = await store.agents_view(conn, [user_id])
        if not rows:
            return
        row = rows[0]
        state = self.router.agent(user_id)
        presence, reason = state.presence.value, state.away_reason
        work = state.work
        call_id: int | None = None
        queue_key = row["queue_key"]
        if work is WorkState.RINGING:
            ringing = self.router.ringing_call(user_id)
            call_id = int(ringing) if ringing is not None else None
            routed = await store.get_routed(conn, call_id) if call_id is not None else None
            queue_key = routed["queue_key"] if routed else None
        elif work is WorkState.ON_CALL:
            call_id = int(sorted(state.active)[0])
        elif work is WorkState.WRAP_UP:
            if wrap is not None:
                call_id, queue_key = wrap
            else:
                call_id = row["call_id"]
        elif display is not None:
            work, call_id = display
        elif row["work"] == WorkState.RINGING.value and row["call_id"] is not None:
            # Rung by the PBX itself: ringing until that call is answered or over.
            call = await store.get_call(conn, row["call_id"])
            if call is not None and call["state"] == "ringing":
                work, call_id = WorkState.RINGING, call["id"]
        if work is WorkState.IDLE:
            queue_key = None
        old = (row["presence"] or "offline", row["reason"], row["work"] or "idle", row["call_id"])
        changed_presence = row["presence"] is None or (row["presence"], row["reason"]) != (presence, reason)
        changed_work = row["work"] is None or (row["work"], row["call_id"]) != (work.value, call_id) \
            or row["missed_in_row"] != state.missed_in_row or row["queue_key"] != queue_key
        if not (changed_presence or changed_work):
            return
        if changed_presence:
            await store.set_presence(conn, user_id, presence, reason, now)
        if changed_work:
            await store.set_work(conn, user_id, work, call_id, now, idle_since=state.idle_since_ms,
                                 missed_in_row=state.missed_in_row, queue_key=queue_key)
        if old != (presence, reason, work.value, call_id):
            await store.log_state(conn, user_id, presence, reason, work.value, call_id, now)
        same_work = (row["work"], row["call_id"]) == (work.value, call_id)
        payload: dict[str, Any] = {
            "user_id": user_id, "presence": presence, "reason": reason,
            "since": row["presence_since"] if not changed_presence else now,
            "work": work.value, "call_id": call_id,
            "work_since": row["work_since"] if same_work else now,
            "wrap_up": await self._wrap_up_part(conn, user_id, call_id, queue_key)
            if work is WorkState.WRAP_UP else None,
            "missed_in_row": state.missed_in_row,
        }
        tx.pushes += await record_pushes(conn, now, [user_id], "agent:state", payload)
        tx.broadcast("supervisors", "agent:state", {**payload, "username": row["username"],
                                                    "display_name": row["display_name"]})

    async def _wrap_up_part(self, conn: Conn, user_id: int, call_id: int | None,
                            queue_key: str | None) -> dict[str, Any] | None:
        if call_id is None:
            return None
        return {
            "call_id": call_id, "queue": queue_key, "due_at": await store.timer_due(conn, WRAP_UP, str(user_id)),
            "dispositions": [d.payload() for d in await store.dispositions_for(conn, queue_key)] if queue_key else [],
        }

    # --- calls the PBX tells us about -------------------------------------------------------------------

    async def call_changed(self, call_id: int) -> None:
        """Bring agents and the router in step with a call after a telephony event (any order, any repeat)."""
        async def body(tx: _Tx) -> Any:
            conn, now = tx.conn, tx.now
            call = await store.get_call(conn, call_id)
            if call is None:
                return
            key = str(call_id)
            routed = await store.get_routed(conn, call_id)
            rung = [a["user_id"] for a in json.loads(call["agents_rung"] or "[]") if a.get("user_id") is not None]
            rung = [uid for uid in rung if await self._ensure_agent(tx, uid)]
            agent_id = call["agent_id"] if call["agent_id"] is not None and await self._ensure_agent(
                tx, call["agent_id"]) else None
            state = call["state"]
            if state == "ringing":
                for uid in rung:
                    if self.router.knows(uid) and self.router.agent(uid).work is WorkState.IDLE \
                            and self.router.ringing_call(uid) is None:
                        await self._sync_agent(tx, uid, display=(WorkState.RINGING, call_id))
                return
            if state == "answered" and agent_id is not None:
                await self._apply(tx, self.router.answered(key, agent_id, now))
                if routed is not None and routed["state"] in ("waiting", "ringing"):
                    await store.update_routed(conn, call_id, now, state="answered", ringing_agent_id=agent_id,
                                              ringing_since=None)
                    await self.timers.disarm(conn, RING_TIMEOUT, key)
                    await self.timers.disarm(conn, OVERFLOW, key)
                tx.touched.update(u for u in [agent_id, *rung] if self.router.knows(u))
                return
            if state not in FINAL_CALL_STATES:
                return
            if agent_id is not None and call["answered_at"] is not None:
                queue_key = routed["queue_key"] if routed else call["queue"]
                wrap_s = self._wrap_up_s.get(queue_key or "", self.default_wrap_up_s)
                was_on_call = key in self.router.agent(agent_id).active
                await self._apply(tx, self.router.ended(key, agent_id, now, wrap_up=wrap_s > 0))
                if was_on_call and self.router.agent(agent_id).work is WorkState.WRAP_UP:
                    await self.timers.arm(conn, WRAP_UP, str(agent_id), now + wrap_s * 1000,
                                          {"call_id": call_id, "user_id": agent_id})
                    await self._sync_agent(tx, agent_id, wrap=(call_id, queue_key if queue_key in
                                                               self._wrap_up_s else None))
                else:
                    tx.touched.add(agent_id)
            else:
                await self._apply(tx, self.router.remove_call(key, now))
            if routed is not None and routed["state"] in ("waiting", "ringing"):
                await store.update_routed(conn, call_id, now, state="gone", ringing_agent_id=None)
                tx.broadcast("supervisors", "routing:call", {"call_id": call_id, "state": "gone"})
            await self.timers.disarm(conn, RING_TIMEOUT, key)
            await self.timers.disarm(conn, OVERFLOW, key)
            tx.touched.update(u for u in rung if self.router.knows(u))
        await self._run(body)

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

    async def _closed(self, call_id: int, route: Any) -> RouteAnswer:
        async def body(tx: _Tx) -> Any:
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
        async def body(tx: _Tx) -> Any:
            conn, now = tx.conn, tx.now
            routed = await store.get_routed(conn, call_id)
            if routed is not None and routed["state"] not in ("waiting", "ringing"):
                return await self._settled(conn, call_id, routed)
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
                    return self._answer(decision)
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
            answer = self._answer(decision)
            if decision.rule is Rule.ALREADY_RINGING:  # asked again: say which rule reserved the agent
                last = await store.last_decision(conn, call_id)
                answer = replace(answer, rule=str(last["rule"])) if last else answer
            return answer
        return await self._run(body)

    async def _settled(self, conn: Conn, call_id: int, routed: dict[str, Any]) -> RouteAnswer:
        last = await store.last_decision(conn, call_id)
        rule = str(last["rule"]) if last else "settled"
        state = routed["state"]
        if state == "answered":
            return RouteAnswer(Action.DIAL, call_id, routed["queue_key"], rule, agent_id=routed["ringing_agent_id"])
        if state == "overflowed":
            return RouteAnswer(Action.OVERFLOW, call_id, routed["queue_key"], rule, target=routed["target"])
        if state == "closed":
            return RouteAnswer(Action.CLOSED, call_id, routed["queue_key"], rule, target=routed["target"])
        return RouteAnswer(Action.REJECT, call_id, routed["queue_key"], rule)

    def _answer(self, decision: Decision) -> RouteAnswer:
        call_id = int(decision.call_id)
        if decision.action is Action.DIAL:
            queue = self.router.queue(decision.queue_id)
            return RouteAnswer(Action.DIAL, call_id, decision.queue_id, decision.rule.value,
                               agent_id=decision.agent_id, ring_timeout_s=queue.ring_timeout_s if queue else None)
        if decision.action is Action.QUEUE:
            return RouteAnswer(Action.QUEUE, call_id, decision.queue_id, decision.rule.value,
                               retry_after_s=RETRY_AFTER_S)
        if decision.action is Action.OVERFLOW and decision.target is not None \
                and self.router.queue(decision.target) is not None:
            # Overflowed into another queue: the caller keeps waiting there.
            return RouteAnswer(Action.OVERFLOW, call_id, decision.target, decision.rule.value,
                               target=decision.target, retry_after_s=RETRY_AFTER_S)
        return RouteAnswer(decision.action, call_id, decision.queue_id, decision.rule.value, target=decision.target)

    async def _apply(self, tx: _Tx, decisions: Sequence[Decision]) -> None:
        """Store decisions and carry them out: reservations, ring and overflow timers, pushes."""
        conn, now = tx.conn, tx.now
        pending = list(decisions)
        while pending:
            decision = pending.pop(0)
            call_id = int(decision.call_id)
            key = decision.call_id
            payload = decision.payload()
            decision_id = await store.insert_decision(conn, call_id, payload, now)
            tx.broadcast("supervisors", "routing:decision", {**payload, "id": decision_id, "call_id": call_id})
            if decision.action is Action.DIAL and decision.agent_id is not None:
                held = self.router.call(key)
                queue = self.router.queue(decision.queue_id)
                await store.update_routed(conn, call_id, now, state="ringing", ringing_agent_id=decision.agent_id,
                                          ringing_since=now, attempts=held.attempts if held else 1,
                                          queue_key=decision.queue_id)
                ring_s = queue.ring_timeout_s if queue else 20
                await self.timers.arm(conn, RING_TIMEOUT, key, now + ring_s * 1000,
                                      {"call_id": call_id, "user_id": decision.agent_id})
                tx.touched.add(decision.agent_id)
                tx.broadcast("supervisors", "routing:call", {"call_id": call_id, "state": "ringing",
                                                             "agent_id": decision.agent_id})
            elif decision.action is Action.QUEUE:
                held = self.router.call(key)
                await store.update_routed(conn, call_id, now, state="waiting", ringing_agent_id=None,
                                          ringing_since=None, excluded=json.dumps(sorted(held.excluded) if held
                                                                                  else []))
                queue = self.router.queue(decision.queue_id)
                if queue is not None and queue.max_wait_s is not None and held is not None:
                    await self.timers.arm(conn, OVERFLOW, key, held.enqueued_at_ms + queue.max_wait_s * 1000,
                                          {"call_id": call_id})
                tx.broadcast("supervisors", "routing:call", {"call_id": call_id, "state": "waiting"})
            elif decision.action is Action.OVERFLOW and decision.target is not None \
                    and self.router.queue(decision.target) is not None:
                row = await store.get_routed(conn, call_id)
                # The caller keeps their place: the wait so far counts in the overflow queue too.
                since = row["enqueued_at"] if row else now
                await store.update_routed(conn, call_id, now, queue_key=decision.target, state="waiting",
                                          ringing_agent_id=None, target=decision.target)
                await self.timers.disarm(conn, OVERFLOW, key)
                pending.append(self.router.decide(WaitingCall(
                    key, decision.target, since, row["customer_tier"] if row else None,
                    row["dedicated_agent_id"] if row else None), now))
            else:
                state = "overflowed" if decision.action is Action.OVERFLOW else "rejected"
                await store.update_routed(conn, call_id, now, state=state, ringing_agent_id=None,
                                          target=decision.target)
                await self.timers.disarm(conn, OVERFLOW, key)
                await self.timers.disarm(conn, RING_TIMEOUT, key)
                tx.broadcast("supervisors", "routing:call", {"call_id": call_id, "state": state})

    # --- wrap-up -----------------------------------------------------------------------------------------

    async def wrap_up(self, user_id: int, call_id: int, disposition_id: int | None, notes: str | None,
                      *, actor: Actor | None = None) -> dict[str, Any]:
        """Finish the wrap-up of a call with a disposition (one of its queue's) and notes; the agent is idle."""
        if notes is not None and len(notes) > MAX_NOTES:
            raise Invalid("notes too long", field_error("notes", f"at most {MAX_NOTES} characters"))
        async def body(tx: _Tx) -> Any:
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

    async def _finish_wrap_up(self, tx: _Tx, user_id: int, work: dict[str, Any], disposition: Any,
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
        async def body(tx: _Tx) -> Any:
            if not await self.timers.finish(tx.conn, timer):
                return
            await self._timed_out(tx, call_id, user_id)
        await self._run(body)

    async def ring_no_answer(self, call_id: int, user_id: int) -> None:
        """The PBX says the agent did not answer (Twilio's Dial ended no-answer): as the ring timer would."""
        async def body(tx: _Tx) -> Any:
            await self.timers.disarm(tx.conn, RING_TIMEOUT, str(call_id))
            await self._timed_out(tx, call_id, user_id)
        await self._run(body)

    async def _timed_out(self, tx: _Tx, call_id: int, user_id: int) -> None:
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
        async def body(tx: _Tx) -> Any:
            if not await self.timers.finish(tx.conn, timer):
                return
            work = await store.get_work(tx.conn, user_id)
            if work is None or work["state"] != WorkState.WRAP_UP.value or work["call_id"] != call_id:
                return
            await self._finish_wrap_up(tx, user_id, work, None, None)
        await self._run(body)

    async def _overflow_due(self, timer: Timer) -> None:
        async def body(tx: _Tx) -> Any:
            if not await self.timers.finish(tx.conn, timer):
                return
            await self._apply(tx, self.router.overflow_due(tx.now))
        await self._run(body)

    # --- presence follows the agent's sockets ----------------------------------------------------------------

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

    async def _offline_due(self, timer: Timer) -> None:
        user_id = int(timer.payload["user_id"])
        async def body(tx: _Tx) -> Any:
            if not await self.timers.finish(tx.conn, timer):
                return
            if await store.connection_count(tx.conn, user_id) > 0 or not self.router.knows(user_id):
                return
            if self.router.agent(user_id).presence is Presence.OFFLINE:
                return
            await self._apply(tx, self.router.set_presence(user_id, Presence.OFFLINE, tx.now))
            tx.touched.add(user_id)
        await self._run(body)

    async def heartbeat(self) -> None:
        """Say this node lives; forget dead nodes' sockets, and start the grace period of users left with none."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            await store.node_seen(conn, self.node_id, now)
            for user_id in await store.forget_dead_nodes(conn, now - NODE_DEAD_MS):
                if await store.connection_count(conn, user_id) == 0:
                    await self.timers.arm(conn, OFFLINE, str(user_id), now + OFFLINE_GRACE_MS,
                                          {"user_id": user_id})

    async def start(self) -> None:
        """At start: register the node, forget its old sockets, build the router."""
        await self.heartbeat()
        await self.reload()

    async def stop(self) -> None:
        """At a clean stop: this node's sockets are gone, so their users' grace periods start."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            for user_id in await store.drop_node_connections(conn, self.node_id):
                if await store.connection_count(conn, user_id) == 0:
                    await self.timers.arm(conn, OFFLINE, str(user_id), now + OFFLINE_GRACE_MS,
                                          {"user_id": user_id})

    # --- reading -------------------------------------------------------------------------------------------

    async def time_in_state(self, user_id: int, start: int, end: int) -> dict[str, Any]:
        """Seconds in each state and occupancy of one agent over [start, end)."""
        if end <= start:
            raise Invalid("empty window", field_error("to", "must be after from"))
        async with self.db.read() as conn:
            rows = await store.ledger(conn, user_id, start, end)
        spans = ledger.intervals(rows)
        return {"user_id": user_id, "from": start, "to": end,
                **ledger.totals(spans, start, end, self.clock.now_ms()).payload()}

    async def decisions(self, limit: int, call_id: int | None = None,
                        before_id: int | None = None) -> list[dict[str, Any]]:
        """Routing decisions, newest first."""
        async with self.db.read() as conn:
            return await store.recent_decisions(conn, limit, call_id, before_id)

    async def live(self, decisions: int = 20) -> dict[str, Any]:
        """The supervisor's board: waiting and active calls, agents by state with time in state, decisions."""
        now = self.clock.now_ms()
        day_start = now - 24 * 3600 * 1000
        async with self.db.read() as conn:
            agents = await store.agents_view(conn)
            spans = await store.ledgers(conn, [a["id"] for a in agents], day_start, now)
            waiting = await store.routed_view(conn)
            active = await store.active_calls(conn, 200)
            recent = await store.recent_decisions(conn, decisions)
            queues = await store.queue_settings(conn)
        by_agent: dict[int, list[dict[str, Any]]] = {}
        for span in spans:
            by_agent.setdefault(span["user_id"], []).append(span)
        agent_items = []
        for row in agents:
            totals = ledger.totals(ledger.intervals(by_agent.get(row["id"], [])), day_start, now, now)
            agent_items.append({
                "user_id": row["id"], "username": row["username"], "display_name": row["display_name"],
                "presence": row["presence"] or "offline", "reason": row["reason"], "since": row["presence_since"],
                "work": row["work"] or "idle", "call_id": row["call_id"], "work_since": row["work_since"],
                "queue": row["queue_key"], "occupancy": totals.payload()["occupancy"],
                "missed_in_row": row["missed_in_row"] or 0,
            })
        return {
            "now": now,
            "queues": [{"key": q["key"], "name": q["name"], "name_zh": q["name_zh"],
                        "service_level_s": q["service_level_s"]} for q in queues],
            "waiting": [store.waiting_item(r) for r in waiting],
            "active": [store.active_item(r) for r in active],
            "agents": agent_items,
            "decisions": recent,
        }


def every(seconds: float, body: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """A loop running ``body`` each period until cancelled; failures are logged."""
    async def loop() -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await body()
            except Exception:
                log.exception("periodic routing task failed")
    return loop
