"""Ingestion: store each raw event, fold the call, match the caller, pop the ringing agents once.

One request's events are stored, folded and their pushes recorded in one transaction (group
commit batches concurrent requests); the pushes are emitted after the commit and before the
webhook is answered, so an acknowledged event is durable and its pop is already on its way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from callcenter.clock import Clock
from callcenter.console.models import Notifier, Push
from callcenter.console.service import record_pushes
from callcenter.customers.models import CallerMatch
from callcenter.db import Database
from callcenter.errors import Invalid, field_error
from callcenter.telephony import pops, store
from callcenter.telephony.machine import fold
from callcenter.telephony.models import CallEvent, CallRecord, CallState, Direction

log = logging.getLogger(__name__)


class CustomerDirectory(Protocol):
    """What ingestion asks of customers (the customers service provides it)."""

    async def match(self, raw: str, region: str) -> CallerMatch:
        """Match a caller ID to customers."""
        ...

    async def cards(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Profile cards for the pop, in the order asked."""
        ...


class AgentDirectory(Protocol):
    """What ingestion asks of agents (the agents service provides it)."""

    async def resolve_agents(self, names: Sequence[str]) -> dict[str, int | None]:
        """Map names a PBX sends for agents to user ids; unmatched names map to None."""
        ...


@dataclass(frozen=True)
class Source:
    """Where events came from: the integration and the region its national numbers are in."""

    integration_id: int | None
    region: str


@dataclass(frozen=True)
class Ingested:
    """The outcome of one webhook: the call as folded now, and whether anything was new."""

    call_id: int
    record: CallRecord
    duplicate: bool
    popped: tuple[int, ...]


def customer_number(record: CallRecord) -> str | None:
    """The customer's side of a call: the caller inbound, the called number outbound."""
    return record.to_number if record.direction is Direction.OUTBOUND else record.from_number


def _customer_side(event: CallEvent) -> str | None:
    return event.to_number if event.direction is Direction.OUTBOUND else event.from_number


class TelephonyService:
    """Turns telephony events into call records and screen pops."""

    def __init__(self, db: Database, clock: Clock, notifier: Notifier, customers: CustomerDirectory,
                 agents: AgentDirectory) -> None:
        self.db = db
        self.clock = clock
        self.notifier = notifier
        self.customers = customers
        self.agents = agents

    async def ingest(self, source: Source, events: Sequence[CallEvent]) -> Ingested:
        """Store and apply the events of one call (one webhook request); idempotent and order-tolerant."""
        if not events or len({(e.provider, e.call_id) for e in events}) != 1:
            raise Invalid("one request carries events of exactly one call", field_error("call_id", "mixed"))
        first = events[0]
        now = self.clock.now_ms()
        names = list(dict.fromkeys(n for e in events for n in (*e.agents, e.agent) if n))
        resolved = await self.agents.resolve_agents(names) if names else {}
        async with self.db.read() as conn:
            brief = await store.get_brief(conn, first.provider, first.call_id)
            popped_before = set(await store.list_popped(conn, brief["id"])) if brief else set()
        wanted = {uid for uid in resolved.values() if uid is not None} - popped_before
        number = next((n for n in map(_customer_side, events) if n), None)
        match = None if brief and brief["match"] else await self._match(number, source.region)
        context = await self._context(brief, match, first) if wanted else None

        async with self.db.transaction() as conn:
            fresh = [e for e in events if await store.insert_event(conn, e, source.integration_id, now)]
            if not fresh and brief is not None:
                return Ingested(brief["id"], fold(await store.list_events(conn, first.provider, first.call_id)),
                                True, ())
            before = await store.get_brief(conn, first.provider, first.call_id)
            record = fold(await store.list_events(conn, first.provider, first.call_id))
            stored_match = before["match"] if before and before["match"] else (
                pops.match_json(match) if match else None)
            agent_id = resolved.get(record.agent) if record.agent else None
            rung = pops.agents_json(record.agents_rung, resolved) if not before else await self._rung(
                conn, record, resolved)
            call_id = await store.upsert_call(
                conn, record, integration_id=source.integration_id, customer_number=customer_number(record),
                customer_id=match.customer_id if match else None, match=stored_match,
                agent_id=agent_id if agent_id is not None else (before["agent_id"] if before else None),
                agents_rung=rung, now=now,
            )
            match_data = pops.match_view(stored_match)
            linked = before["customer_id"] if before and before["customer_id"] else (
                match.customer_id if match else None)
            call = pops.call_view(call_id, record, agent_id, rung, customer_number(record), match_data.get("e164"),
                                  linked)
            newly = await store.insert_pops(conn, call_id, wanted, now)
            pushes: list[Push] = []
            if newly:
                payload = self._payload(call, match_data, context)
                pushes += await record_pushes(conn, now, newly, "call:pop", payload)
            changed = before is None or before["state"] != record.state.value or fresh
            watchers = sorted(set(await store.list_popped(conn, call_id)) - set(newly))
            if changed and watchers:
                pushes += await record_pushes(conn, now, watchers, "call:update", {"call": call})
        await self.notifier.send(pushes)
        await self.notifier.broadcast("supervisors", "call:update",
                                      {"call": pops.supervisor_view(call, match_data.get("e164"))})
        return Ingested(call_id, record, not fresh, tuple(newly))

    async def _rung(self, conn: Any, record: CallRecord, resolved: dict[str, int | None]) -> str:
        # Names resolved by an earlier request keep their user when this one did not name them.
        row = await conn.fetchone("SELECT agents_rung FROM calls WHERE provider = ? AND external_id = ?",
                                  (record.provider.value, record.call_id))
        known = {a["name"]: a["user_id"] for a in json.loads(row["agents_rung"])} if row else {}
        merged = {n: resolved.get(n, known.get(n)) for n in record.agents_rung}
        return pops.agents_json(record.agents_rung, merged)

    async def _match(self, number: str | None, region: str) -> CallerMatch | None:
        if number is None:
            return None
        return await self.customers.match(number, region)

    async def _context(self, brief: Any, match: CallerMatch | None, first: CallEvent) -> dict[str, Any]:
        """Everything of the pop that is read, gathered before the write transaction."""
        data = pops.match_view(brief["match"]) if brief and brief["match"] else (
            json.loads(pops.match_json(match)) if match else pops.match_view(None))
        linked = brief["customer_id"] if brief and brief["customer_id"] else (match.customer_id if match else None)
        ids = [linked] if linked else data["candidates"][:9]
        cards = await self.customers.cards(ids) if ids else []
        history: list[dict[str, Any]] = []
        earlier = None
        async with self.db.read() as conn:
            if linked:
                rows = await store.list_customer_calls(conn, linked, pops.HISTORY + 1)
                history = [pops.history_item(r) for r in rows if r["external_id"] != first.call_id][: pops.HISTORY]
            parent = first.parent_call_id
            if parent:
                leg = await store.get_call_by_external(conn, first.provider.value, parent)
                earlier = pops.history_item(leg) if leg else None
        return {"cards": cards, "history": history, "earlier_leg": earlier}

    def _payload(self, call: dict[str, Any], match: dict[str, Any], context: dict[str, Any] | None) -> dict[str, Any]:
        context = context or {"cards": [], "history": [], "earlier_leg": None}
        return pops.pop_payload(call, match, context["cards"], context["history"], context["earlier_leg"],
                                self.clock.now_ms())

    @staticmethod
    def is_live(record: CallRecord) -> bool:
        """True while the call can still be answered or is in progress."""
        return record.state in (CallState.QUEUED, CallState.RINGING, CallState.ANSWERED)
