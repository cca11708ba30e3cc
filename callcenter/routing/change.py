"""One routing change in progress, and what every change does with it: carry out the router's
decisions (reservations, timers, pushes), bring an agent's stored state in step with the router,
and word the answer a PBX gets.

These run inside ``RoutingService._run``: in one go, awaiting only the connection.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from callcenter.console.models import Push
from callcenter.console.service import record_pushes
from callcenter.db import Conn, Row
from callcenter.routing import store
from callcenter.routing.engine import Router
from callcenter.routing.models import Action, Decision, RouteAnswer, WaitingCall, WorkState
from callcenter.timers.service import TimerService

Popper = Callable[[Conn, int, int, int], Awaitable[list[Push]]]  # (conn, call id, user id, now)

RING_TIMEOUT = "ring_timeout"
WRAP_UP = "wrap_up"
OVERFLOW = "overflow"
RETRY_AFTER_S = 5  # how soon a PBX asks again about a waiting call


@dataclass
class Change:
    """One routing change in progress: its connection, its moment, the pushes to emit after commit."""

    conn: Conn
    now: int
    before: int = 0  # the routing version this change started from
    pushes: list[Push] = field(default_factory=list)
    broadcasts: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)  # agents to bring in step before commit
    set_by: int | None = None  # who made a presence change for someone else (a supervisor)
    # Builds and records the screen pop of a call for an agent routing reserves (telephony provides it).
    popper: Popper | None = None

    def broadcast(self, room: str, event: str, payload: dict[str, Any]) -> None:
        self.broadcasts.append((room, event, payload))


async def apply_decisions(tx: Change, router: Router, timers: TimerService, decisions: Sequence[Decision]) -> None:
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
            held = router.call(key)
            queue = router.queue(decision.queue_id)
            await store.update_routed(conn, call_id, now, state="ringing", ringing_agent_id=decision.agent_id,
                                      ringing_since=now, attempts=held.attempts if held else 1,
                                      queue_key=decision.queue_id)
            ring_s = queue.ring_timeout_s if queue else 20
            await timers.arm(conn, RING_TIMEOUT, key, now + ring_s * 1000,
                                  {"call_id": call_id, "user_id": decision.agent_id})
            tx.touched.add(decision.agent_id)
            if tx.popper is not None:  # the agent's phone rings now: the card comes with it, once
                tx.pushes += await tx.popper(conn, call_id, decision.agent_id, now)
            tx.broadcast("supervisors", "routing:call", {"call_id": call_id, "state": "ringing",
                                                         "agent_id": decision.agent_id})
        elif decision.action is Action.QUEUE:
            held = router.call(key)
            await store.update_routed(conn, call_id, now, state="waiting", ringing_agent_id=None,
                                      ringing_since=None, excluded=json.dumps(sorted(held.excluded) if held
                                                                              else []))
            queue = router.queue(decision.queue_id)
            if queue is not None and queue.max_wait_s is not None and held is not None:
                await timers.arm(conn, OVERFLOW, key, held.enqueued_at_ms + queue.max_wait_s * 1000,
                                      {"call_id": call_id})
            tx.broadcast("supervisors", "routing:call", {"call_id": call_id, "state": "waiting"})
        elif decision.action is Action.OVERFLOW and decision.target is not None \
                and router.queue(decision.target) is not None:
            row = await store.get_routed(conn, call_id)
            # The caller keeps their place: the wait so far counts in the overflow queue too.
            since = row["enqueued_at"] if row else now
            await store.update_routed(conn, call_id, now, queue_key=decision.target, state="waiting",
                                      ringing_agent_id=None, target=decision.target)
            await timers.disarm(conn, OVERFLOW, key)
            pending.append(router.decide(WaitingCall(
                key, decision.target, since, row["customer_tier"] if row else None,
                row["dedicated_agent_id"] if row else None), now))
        else:
            state = "overflowed" if decision.action is Action.OVERFLOW else "rejected"
            await store.update_routed(conn, call_id, now, state=state, ringing_agent_id=None,
                                      target=decision.target)
            await timers.disarm(conn, OVERFLOW, key)
            await timers.disarm(conn, RING_TIMEOUT, key)
            tx.broadcast("supervisors", "routing:call", {"call_id": call_id, "state": state})


async def sync_agent(tx: Change, router: Router, user_id: int, *, stored: dict[int, Row] | None = None,
                     display: tuple[WorkState, int] | None = None,
                     wrap: tuple[int, str | None, int] | None = None) -> None:
    """Write the agent's presence and work as the router now has them; log and push when they changed.

    ``display`` shows ringing for a call the PBX rings itself (the router does not reserve those);
    ``wrap`` names the call and queue being wrapped up, and when the wrap-up ends by itself. The
    ledger's open row always matches ``agent_presence`` and ``agent_work``, so comparing with those
    is enough. ``stored`` mirrors ``store.agents_view`` rows as last written (kept by the caller
    in step with the router's version); the row is read when the mirror lacks it, and the mirror
    is updated with what this writes.
    """
    conn, now = tx.conn, tx.now
    if not router.knows(user_id):
        return
    row = stored.get(user_id) if stored is not None else None
    if row is None:
        rows = await store.agents_view(conn, [user_id])
        if not rows:
            return
        row = rows[0]
    state = router.agent(user_id)
    presence, reason = state.presence.value, state.away_reason
    work = state.work
    call_id: int | None = None
    queue_key = row["queue_key"]
    if work is WorkState.RINGING:
        ringing = router.ringing_call(user_id)
        call_id = int(ringing) if ringing is not None else None
        routed = await store.get_routed(conn, call_id) if call_id is not None else None
        queue_key = routed["queue_key"] if routed else None
    elif work is WorkState.ON_CALL:
        call_id = int(sorted(state.active)[0])
    elif work is WorkState.WRAP_UP:
        if wrap is not None:
            call_id, queue_key, _ = wrap
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
    if stored is not None:  # what the tables hold now (set_presence and set_work's rules)
        stored[user_id] = {**row, "presence": presence, "reason": reason,
                           "presence_since": now if changed_presence else row["presence_since"],
                           "work": work.value, "call_id": call_id,
                           "work_since": row["work_since"] if same_work and row["work"] is not None else now,
                           "missed_in_row": state.missed_in_row, "queue_key": queue_key}
    payload: dict[str, Any] = {
        "user_id": user_id, "presence": presence, "reason": reason,
        "since": row["presence_since"] if not changed_presence else now,
        "work": work.value, "call_id": call_id,
        "work_since": row["work_since"] if same_work else now,
        "wrap_up": await wrap_up_part(conn, user_id, call_id, queue_key, wrap[2] if wrap else None)
        if work is WorkState.WRAP_UP else None,
        "missed_in_row": state.missed_in_row,
    }
    if tx.set_by is not None and tx.set_by != user_id and changed_presence:
        payload["set_by"] = tx.set_by
    tx.pushes += await record_pushes(conn, now, [user_id], "agent:state", payload)
    tx.broadcast("supervisors", "agent:state", {**payload, "username": row["username"],
                                                "display_name": row["display_name"]})


async def wrap_up_part(conn: Conn, user_id: int, call_id: int | None, queue_key: str | None,
                       due_at: int | None = None) -> dict[str, Any] | None:
    """The wrap-up the console shows: the call, its queue, when it ends by itself (read unless
    given), the dispositions."""
    if call_id is None:
        return None
    return {
        "call_id": call_id, "queue": queue_key,
        "due_at": due_at if due_at is not None else await store.timer_due(conn, WRAP_UP, str(user_id)),
        "dispositions": [d.payload() for d in await store.dispositions_for(conn, queue_key)] if queue_key else [],
    }


async def state_payload(conn: Conn, row: dict[str, Any]) -> dict[str, Any]:
    """An agent's state as ``agent:state`` carries it, from a row of ``store.agents_view``."""
    work = row["work"] or "idle"
    return {
        "user_id": row["id"], "presence": row["presence"] or "offline", "reason": row["reason"],
        "since": row["presence_since"], "work": work, "call_id": row["call_id"],
        "work_since": row["work_since"], "missed_in_row": row["missed_in_row"] or 0,
        "wrap_up": await wrap_up_part(conn, row["id"], row["call_id"], row["queue_key"])
        if work == WorkState.WRAP_UP.value else None,
    }


def answer_for(router: Router, decision: Decision) -> RouteAnswer:
    """What the PBX is told about a fresh decision."""
    call_id = int(decision.call_id)
    if decision.action is Action.DIAL:
        queue = router.queue(decision.queue_id)
        return RouteAnswer(Action.DIAL, call_id, decision.queue_id, decision.rule.value,
                           agent_id=decision.agent_id, ring_timeout_s=queue.ring_timeout_s if queue else None)
    if decision.action is Action.QUEUE:
        return RouteAnswer(Action.QUEUE, call_id, decision.queue_id, decision.rule.value,
                           retry_after_s=RETRY_AFTER_S)
    if decision.action is Action.OVERFLOW and decision.target is not None \
            and router.queue(decision.target) is not None:
        # Overflowed into another queue: the caller keeps waiting there.
        return RouteAnswer(Action.OVERFLOW, call_id, decision.target, decision.rule.value,
                           target=decision.target, retry_after_s=RETRY_AFTER_S)
    return RouteAnswer(decision.action, call_id, decision.queue_id, decision.rule.value, target=decision.target)


async def settled_answer(conn: Conn, call_id: int, routed: dict[str, Any]) -> RouteAnswer:
    """What the PBX is told about a call routing is done with (answered, overflowed, closed, rejected)."""
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
