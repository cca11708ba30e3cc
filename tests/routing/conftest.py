"""Fixtures for routing: real services over a temp database, a fake clock, queues made in SQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from callcenter.accounts.models import SYSTEM, Role, User
from callcenter.accounts.service import AccountService
from callcenter.agents.service import AgentService
from callcenter.clock import FakeClock
from callcenter.customers.models import Customer, CustomerDraft, PhoneDraft
from callcenter.customers.service import CustomerService
from callcenter.db import Database
from callcenter.routing.service import RoutingService
from callcenter.telephony.generic import parse_generic
from callcenter.telephony.service import Source, TelephonyService
from callcenter.timers.service import TimerService
from tests.factories import RecordingNotifier, make_user

CALLER = "+8613800138000"
DIALLED = "+861058000000"


@dataclass
class Center:
    db: Database
    clock: FakeClock
    notifier: RecordingNotifier
    accounts: AccountService
    customers: CustomerService
    telephony: TelephonyService
    timers: TimerService
    routing: RoutingService

    async def agent(self, username: str, skills: dict[str, int] | None = None, role: Role = Role.AGENT) -> User:
        user = await make_user(self.accounts, username, role)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            for name, level in (skills or {}).items():
                await conn.execute("INSERT INTO skills (name, created_at, updated_at) VALUES (?, ?, ?)"
                                   " ON CONFLICT (name) DO NOTHING", (name, now, now))
                skill_id = await conn.fetchval("SELECT id FROM skills WHERE name = ?", (name,))
                await conn.execute("INSERT INTO agent_skills (user_id, skill_id, proficiency) VALUES (?, ?, ?)",
                                   (user.id, skill_id, level))
        await self.routing.agent_changed(user.id)
        return user

    async def queue(self, key: str, skills: dict[str, int] | None = None, **settings: Any) -> int:
        now = self.clock.now_ms()
        columns = {"key": key, "name": key.title(), "created_at": now, "updated_at": now, **settings}
        if "tier_bonus" in columns:
            columns["tier_bonus"] = json.dumps(columns["tier_bonus"])
        async with self.db.transaction() as conn:
            queue_id = await conn.fetchval(
                f"INSERT INTO queues ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) RETURNING id",
                tuple(columns.values()))
            for name, level in (skills or {}).items():
                await conn.execute("INSERT INTO skills (name, created_at, updated_at) VALUES (?, ?, ?)"
                                   " ON CONFLICT (name) DO NOTHING", (name, now, now))
                skill_id = await conn.fetchval("SELECT id FROM skills WHERE name = ?", (name,))
                await conn.execute("INSERT INTO queue_skills (queue_id, skill_id, min_proficiency) VALUES (?, ?, ?)",
                                   (queue_id, skill_id, level))
        await self.routing.config_changed()
        return int(queue_id)

    async def disposition(self, queue_id: int, code: str, fcr: bool = False) -> int:
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            return int(await conn.fetchval(
                "INSERT INTO dispositions (queue_id, code, label, first_contact_resolved, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id", (queue_id, code, code.title(), fcr, now, now)))

    async def customer(self, name: str, phone: str, *, tier: str | None = None,
                       dedicated: int | None = None) -> Customer:
        draft = CustomerDraft(name=name, phones=(PhoneDraft(phone),), dedicated_agent_id=dedicated)
        customer = await self.customers.create(SYSTEM, draft)
        if tier is not None:
            async with self.db.transaction() as conn:
                await conn.execute("UPDATE customers SET tier = ? WHERE id = ?", (tier, customer.id))
        return customer

    async def event(self, kind: str, call: str, **fields: Any) -> int:
        body: dict[str, Any] = {"event": kind, "call_id": call, "direction": "inbound", "from": CALLER,
                                "to": DIALLED, **fields}
        if "from_" in body:
            body["from"] = body.pop("from_")
        result = await self.telephony.ingest(Source(None, "CN"), [parse_generic(body, self.clock.now_ms())])
        return result.call_id

    async def call(self, call: str, queue: str, caller: str = CALLER) -> tuple[int, Any]:
        """A call arrives and the PBX asks where it goes."""
        call_id = await self.event("ringing", call, from_=caller, queue=queue)
        return call_id, await self.routing.route(call_id, queue)

    async def fire(self, seconds: float) -> int:
        """Let time pass and run what fell due."""
        self.clock.advance(seconds)
        return await self.timers.run_due()

    async def work(self, user: User) -> str:
        return str((await self.routing.agent_state(user.id))["work"])

    async def presence(self, user: User) -> tuple[str, str | None]:
        state = await self.routing.agent_state(user.id)
        return state["presence"], state["reason"]


@pytest.fixture
async def center(db: Database, clock: FakeClock, notifier: RecordingNotifier, accounts: AccountService) -> Center:
    agents = AgentService(db, clock, notifier, directory_ms=0)
    customers = CustomerService(db, clock, "CN")
    telephony = TelephonyService(db, clock, notifier, customers, agents)
    timers = TimerService(db, clock, "node-a")
    routing = RoutingService(db, clock, notifier, timers)
    telephony.watchers.append(routing)
    routing.popper = telephony.pop_for
    await routing.start()
    return Center(db, clock, notifier, accounts, customers, telephony, timers, routing)
