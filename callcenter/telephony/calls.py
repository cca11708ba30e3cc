"""Calls after ingestion: reading them, the agent's notes, linking the caller the agent picked."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from callcenter.accounts.models import Actor, Role, User
from callcenter.audit.service import record
from callcenter.clock import Clock
from callcenter.console.models import Notifier
from callcenter.console.service import record_pushes
from callcenter.customers.models import MatchKind
from callcenter.customers.phones import format_national
from callcenter.db import Conn, Database, Row
from callcenter.errors import Invalid, NotFound, field_error
from callcenter.telephony import pops, store

LIVE_STATES = ("queued", "ringing", "answered")
RECENT = 20


class CustomerCards(Protocol):
    """What the call service asks of customers."""

    async def cards(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Profile cards, in the order asked."""
        ...

    async def cards_in(self, conn: Conn, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Profile cards, on a connection the caller holds."""
        ...

    async def quick_create(self, actor: Actor, name: str, phone_raw: str, region: str | None,
                           language: str | None = None, company: str | None = None) -> Any:
        """Create a customer with one number; returns it (with an ``id``)."""
        ...


def call_row_view(row: Row, *, full_number: bool) -> dict[str, Any]:
    """A stored call as the API and console show it; supervisors' lists get the number masked."""
    match = pops.match_view(row["match"])
    e164 = match.get("e164")
    view: dict[str, Any] = {
        "id": row["id"], "provider": row["provider"], "external_id": row["external_id"],
        "direction": row["direction"], "state": row["state"], "queue": row["queue"],
        "customer_id": row["customer_id"], "match": match, "agent_id": row["agent_id"],
        "agent_name": row["agent_display_name"] or row["agent_name"], "agents": json.loads(row["agents_rung"]),
        "started_at": row["started_at"], "ringing_at": row["ringing_at"], "answered_at": row["answered_at"],
        "ended_at": row["ended_at"], "wait_s": row["wait_s"], "talk_s": row["talk_s"], "hold_s": row["hold_s"],
        "cause": row["cause"], "ivr": row["ivr"], "language": row["language"], "voicemail": bool(row["voicemail"]),
        "notes": row["notes"], "disposition": row["disposition"], "parent_external_id": row["parent_external_id"],
        "number_masked": pops.masked_number(match, row["customer_number"]),
        "customer_name": row["customer_name"],
    }
    if full_number:
        view["number"] = row["customer_number"]
        view["number_display"] = match.get("display") or (format_national(e164) if e164 else row["customer_number"])
    return view


class CallService:
    """Reads and annotations of calls, with the access rules of a call center."""

    def __init__(self, db: Database, clock: Clock, notifier: Notifier, customers: CustomerCards) -> None:
        self.db = db
        self.clock = clock
        self.notifier = notifier
        self.customers = customers

    async def _visible(self, conn: Conn, user: User, call_id: int) -> Row:
        row = await store.get_call(conn, call_id)
        if row is None:
            raise NotFound("no such call")
        if not user.role.at_least(Role.SUPERVISOR) and user.id not in await store.list_popped(conn, call_id) \
                and row["agent_id"] != user.id:
            raise NotFound("no such call")
        return row

    async def get(self, user: User, call_id: int, ip: str | None = None) -> dict[str, Any]:
        """One call with its full number; a supervisor's look is audited (numbers are personal data)."""
        async with self.db.read() as conn:
            row = await self._visible(conn, user, call_id)
            popped = user.id in await store.list_popped(conn, call_id) or row["agent_id"] == user.id
        if user.role.at_least(Role.SUPERVISOR) and not popped:
            async with self.db.transaction() as conn:
                await record(conn, self.clock.now_ms(), Actor.of(user, ip), "call.reveal_number", "call", call_id)
        return call_row_view(row, full_number=True)

    async def list_calls(self, *, after_id: int, limit: int, states: Sequence[str] = (), agent_id: int | None = None,
                   customer_id: int | None = None, since: int | None = None) -> list[dict[str, Any]]:
        """Calls for supervisors and reports, numbers masked."""
        async with self.db.read() as conn:
            rows = await store.list_calls(conn, after_id=after_id, limit=limit, states=states, agent_id=agent_id,
                                          customer_id=customer_id, since=since)
        return [call_row_view(r, full_number=False) for r in rows]

    async def _pop_of(self, conn: Conn, row: Row) -> dict[str, Any]:
        match = pops.match_view(row["match"])
        ids = [row["customer_id"]] if row["customer_id"] else match["candidates"][:9]
        cards = await self.customers.cards_in(conn, ids) if ids else []
        history: list[dict[str, Any]] = []
        if row["customer_id"]:
            earlier = await store.list_customer_calls(conn, row["customer_id"], pops.HISTORY + 1)
            history = [pops.history_item(r) for r in earlier if r["id"] != row["id"]][: pops.HISTORY]
        leg = None
        if row["parent_external_id"]:
            parent = await store.get_call_by_external(conn, row["provider"], row["parent_external_id"])
            leg = pops.history_item(parent) if parent else None
        return pops.pop_payload(call_row_view(row, full_number=True), match, cards, history, leg, self.clock.now_ms())

    async def customer_calls(self, customer_id: int, limit: int = 50) -> list[dict[str, Any]]:
        """A customer's calls, newest first (the customer page and history)."""
        async with self.db.read() as conn:
            rows = await store.list_customer_calls(conn, customer_id, limit)
        return [pops.history_item(r) for r in rows]

    async def annotate(self, user: User, call_id: int, notes: str | None, disposition: str | None) -> dict[str, Any]:
        """The agent's notes (and disposition) on a call; colleagues with it on screen see them."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            await self._visible(conn, user, call_id)
            await store.update_notes(conn, call_id, notes, disposition, now)
            updated = await store.get_call(conn, call_id)
            assert updated is not None
            view = call_row_view(updated, full_number=True)
            others = [u for u in await store.list_popped(conn, call_id) if u != user.id]
            pushes = await record_pushes(conn, now, others, "call:update", {"call": view}) if others else []
        await self.notifier.send(pushes)
        return view

    async def link_customer(self, user: User, call_id: int, customer_id: int, how: str = "picked") -> dict[str, Any]:
        """Link a call to the customer the agent chose (from candidates, or an existing customer)."""
        now = self.clock.now_ms()
        cards = await self.customers.cards([customer_id])
        if not cards:
            raise Invalid("no such customer", field_error("customer_id", "no such customer"))
        async with self.db.transaction() as conn:
            row = await self._visible(conn, user, call_id)
            match = pops.match_view(row["match"])
            if how == "picked" and match["kind"] == MatchKind.SEVERAL.value \
                    and customer_id not in match["candidates"]:
                raise Invalid("not one of the candidates", field_error("customer_id", "not a candidate"))
            match = {**match, "kind": how, "chosen_by": user.id}
            await store.link_customer(conn, call_id, customer_id, json.dumps(match), now)
            updated = await store.get_call(conn, call_id)
            assert updated is not None
            view = call_row_view(updated, full_number=True)
            payload = {"call": view, "customer": cards[0], "match": match}
            pushes = await record_pushes(conn, now, await store.list_popped(conn, call_id), "call:update", payload)
        await self.notifier.send(pushes)
        return payload

    async def create_customer(self, user: User, call_id: int, name: str, language: str | None,
                              company: str | None) -> dict[str, Any]:
        """The new-caller card: create a customer with the call's number and link the call to them."""
        async with self.db.read() as conn:
            row = await self._visible(conn, user, call_id)
        match = pops.match_view(row["match"])
        number = match.get("e164") or row["customer_number"]
        if not number or match["kind"] == MatchKind.WITHHELD.value:
            raise Invalid("the caller's number is withheld", field_error("phone", "withheld: no number to store"))
        customer = await self.customers.quick_create(Actor.of(user), name, number, match.get("region_used"),
                                                     language, company)
        return await self.link_customer(user, call_id, customer.id, how="created")

    async def console_part(self, conn: Conn, user: User) -> dict[str, Any]:
        """The snapshot's calls: the agent's recent calls, and the live ones with their customer card."""
        rows = await store.list_recent_for_agent(conn, user.id, RECENT)
        recent = [call_row_view(r, full_number=True) for r in rows]
        live = []
        for row in rows:
            if row["state"] in LIVE_STATES:
                # A reload while ringing repaints the card from this, so it is the pop's shape.
                live.append(await self._pop_of(conn, row))
        return {"recent": recent, "live": live}
