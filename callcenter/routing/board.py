"""The supervisor's reads: the live board, decisions, and agents' time in state.

Reads committed data only; it never touches the router.
"""

from __future__ import annotations

from typing import Any

from callcenter.clock import Clock
from callcenter.db import Database
from callcenter.errors import Invalid, field_error
from callcenter.routing import ledger, store

DAY_MS = 24 * 3600 * 1000


class SupervisorBoard:
    """Read-only views for supervisors; numbers are masked by the store."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

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
