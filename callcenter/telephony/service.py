"""Ingestion: store each raw event, fold the call, match the caller, pop the ringing agents once.

One request's events are stored, folded, their pop read and their pushes recorded in one
transaction, together with the routing change they cause (group commit batches concurrent
requests); the pushes are emitted after the commit and before the webhook is answered, so an
acknowledged event is durable and its pop is already on its way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from callcenter.clock import Clock
from callcenter.console.models import Notifier, Outbox, Push
from callcenter.console.service import record_pushes
from callcenter.customers.models import CallerMatch
from callcenter.db import Conn, Database, Row
from callcenter.errors import Invalid, field_error
from callcenter.routing.models import CallFacts
from callcenter.telephony import pops, store
from callcenter.telephony.machine import fold
from callcenter.telephony.models import CallEvent, CallRecord, CallState, Direction, Provider

log = logging.getLogger(__name__)


class CustomerDirectory(Protocol):
    """What ingestion asks of customers (the customers service provides it), on a held connection."""

    async def match_in(self, conn: Conn, raw: str, region: str | None) -> CallerMatch:
        """Match a caller ID to customers."""
        ...

    async def cards_in(self, conn: Conn, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Profile cards for the pop, in the order asked."""
        ...


class CallWatcher(Protocol):
    """Keeps something in step with calls, inside the transaction that stored their events
    (routing keeps agents' states and the router)."""

    async def call_written(self, conn: Conn, call: CallFacts, now: int) -> Outbox | None:
        """Follow the call as folded now; return what to send once the transaction commits."""
        ...

    def write_failed(self) -> None:
        """The transaction rolled back after ``call_written`` ran."""
        ...


class Resolver(Protocol):
    """Turns a name a PBX sends for an agent into a user id, from memory."""

    def resolve(self, name: str) -> int | None:
        """The user, or None for a name no agent has."""
        ...


class AgentDirectory(Protocol):
    """What ingestion asks of agents (the agents service provides it)."""

    async def directory(self) -> Resolver:
        """The current name → user mapping."""
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


@dataclass(frozen=True)
class _Applied:
    """What the write did: the outcome, the pushes to emit, the call view for supervisors."""

    result: Ingested
    pushes: list[Push]
    call: dict[str, Any] | None
    match: dict[str, Any] | None
    outboxes: list[Outbox]  # what the watchers (routing) recorded in the same transaction


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
        # Told each call whose events changed it, in the same transaction: routing keeps agents' states.
        self.watchers: list[CallWatcher] = []

    async def ingest(self, source: Source, events: Sequence[CallEvent]) -> Ingested:
        """Store and apply the events of one call (one webhook request); idempotent and order-tolerant.

        One group-committed write stores, folds and upserts the call, reads what a new pop shows,
        records the pushes and brings routing in step (on SQLite a batch of events is committed
        in one go, on the event loop's thread). Races between requests for one call are settled
        in SQL (unique keys, COALESCE on the upsert, conflict-free pop marks).
        """
        if not events or any(e.provider is not events[0].provider or e.call_id != events[0].call_id for e in events):
            raise Invalid("one request carries events of exactly one call", field_error("call_id", "mixed"))
        now = self.clock.now_ms()
        directory = await self.agents.directory()
        number = next((n for n in map(_customer_side, events) if n), None)
        try:
            applied = await self.db.run_write(
                lambda conn: self._write(conn, source, events, directory, number, now))
        except BaseException:
            for watcher in self.watchers:
                watcher.write_failed()
            raise
        # The call's pushes and those of the routing change it caused go out together, so an agent
        # gets one message for both (the call's update and their own new state).
        await self.notifier.send([*applied.pushes, *(p for outbox in applied.outboxes for p in outbox.pushes)])
        if applied.call is not None:
            await self.notifier.broadcast("supervisors", "call:update",
                                          {"call": pops.supervisor_view(applied.call, applied.match or {})})
        for outbox in applied.outboxes:
            try:
                for room, event, payload in outbox.broadcasts:
                    await self.notifier.broadcast(room, event, payload)
            except Exception:  # the event is stored and acknowledged; the console catches up on reconnect
                log.exception("broadcasts after call %s failed", applied.result.call_id)
        return applied.result

    async def pop_for(self, conn: Conn, call_id: int, user_id: int, now: int) -> list[Push]:
        """Record the screen pop of a call for an agent routing has just reserved (in the caller's
        transaction); nothing when they were popped for it already, so a later ringing event naming
        them does not pop twice."""
        brief = await store.get_brief_by_id(conn, call_id)
        if brief is None or not await store.insert_pops(conn, call_id, [user_id], now):
            return []
        events = await store.list_events(conn, Provider(brief["provider"]), brief["external_id"])
        if not events:
            return []
        record = fold(events)
        match_data = pops.match_view(brief["match"])
        call = pops.call_view(call_id, record, brief["agent_id"], pops.agents_of(brief["agents_rung"]),
                              customer_number(record), match_data, brief["customer_id"])
        context = await self._context(conn, brief, None, events[0])
        return await record_pushes(conn, now, [user_id], "call:pop", self._payload(call, match_data, context))

    async def call_id_of(self, provider: str, external_id: str) -> int | None:
        """Our id of a call a PBX names (a Twilio CallSid …)."""
        async with self.db.read() as conn:
            brief = await store.get_brief(conn, Provider(provider), external_id)
        return int(brief["id"]) if brief else None

    async def _write(self, conn: Conn, source: Source, events: Sequence[CallEvent], directory: Resolver,
                     number: str | None, now: int) -> _Applied:
        """Store the events, fold the call, upsert it, read and record its pops (awaiting only the connection)."""
        first = events[0]
        fresh = [e for e in events if await store.insert_event(conn, e, source.integration_id, now)]
        brief = await store.get_brief(conn, first.provider, first.call_id)
        # A call's events and its row are stored together: before its row exists, the events just
        # stored are all it has.
        record = fold(fresh if brief is None and fresh else
                      await store.list_events(conn, first.provider, first.call_id, fresh))
        if not fresh and brief is not None:
            return _Applied(Ingested(brief["id"], record, True, ()), [], None, None, [])
        match = None
        if not (brief and brief["match"]) and number is not None:
            match = await self.customers.match_in(conn, number, source.region)
        # Every name the fold holds is resolved again: the same directory gives the same users.
        resolved = {n: directory.resolve(n) for n in (*record.agents_rung, record.agent) if n}
        rung = pops.rung_agents(record.agents_rung, resolved)
        stored = await store.upsert_call(
            conn, record, brief=brief, integration_id=source.integration_id, customer_number=customer_number(record),
            customer_id=match.customer_id if match else None, match=pops.match_json(match) if match else None,
            agent_id=resolved.get(record.agent) if record.agent else None, agents_rung=pops.agents_json(rung),
            now=now,
        )
        call_id = int(stored["id"])
        match_data = pops.match_view(stored["match"])
        call = pops.call_view(call_id, record, stored["agent_id"], rung, customer_number(record), match_data,
                              stored["customer_id"])
        # Agents popped for this call before now get the update (a call stored just now has none).
        popped = set(await store.list_popped(conn, call_id)) if brief is not None else set()
        unpopped = {uid for uid in resolved.values() if uid is not None} - popped
        newly = await store.insert_pops(conn, call_id, unpopped, now) if unpopped else []
        pushes: list[Push] = []
        if newly:
            context = await self._context(conn, stored, None, first)
            pushes += await record_pushes(conn, now, newly, "call:pop", self._payload(call, match_data, context))
        watching = sorted(popped)
        if watching:
            pushes += await record_pushes(conn, now, watching, "call:update", {"call": call})
        facts = CallFacts(call_id, record.state.value, stored["agent_id"],
                          tuple(a["user_id"] for a in rung if a["user_id"] is not None),
                          record.queue, record.answered_at is not None)
        outboxes = [o for w in self.watchers if (o := await w.call_written(conn, facts, now)) is not None]
        return _Applied(Ingested(call_id, record, False, tuple(newly)), pushes, call, match_data, outboxes)

    async def _context(self, conn: Conn, brief: Row | None, match: CallerMatch | None,
                       first: CallEvent) -> dict[str, Any]:
        """Everything of the pop that is read: cards, the customer's last calls, an earlier leg."""
        data = pops.match_view(brief["match"]) if brief and brief["match"] else (
            json.loads(pops.match_json(match)) if match else pops.match_view(None))
        linked = brief["customer_id"] if brief and brief["customer_id"] else (match.customer_id if match else None)
        ids = [linked] if linked else data["candidates"][:9]
        cards = await self.customers.cards_in(conn, ids) if ids else []
        history: list[dict[str, Any]] = []
        if linked:
            rows = await store.list_customer_calls(conn, linked, pops.HISTORY + 1)
            history = [pops.history_item(r) for r in rows if r["external_id"] != first.call_id][: pops.HISTORY]
        earlier = None
        if first.parent_call_id:
            leg = await store.get_call_by_external(conn, first.provider.value, first.parent_call_id)
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
