"""Fixtures for ingestion: real services over a temp database, a fake clock, a recording notifier."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from callcenter.accounts.models import SYSTEM, Role, User
from callcenter.accounts.service import AccountService
from callcenter.agents.service import AgentService
from callcenter.clock import FakeClock
from callcenter.customers.models import Customer, CustomerDraft, PhoneDraft
from callcenter.customers.service import CustomerService
from callcenter.db import Database
from callcenter.telephony.calls import CallService
from callcenter.telephony.service import Source, TelephonyService
from tests.factories import RecordingNotifier, make_user


@dataclass
class World:
    db: Database
    clock: FakeClock
    notifier: RecordingNotifier
    accounts: AccountService
    agents: AgentService
    customers: CustomerService
    telephony: TelephonyService
    calls: CallService
    source: Source

    async def agent(self, username: str, role: Role = Role.AGENT, **kw: object) -> User:
        return await make_user(self.accounts, username, role, **kw)

    async def customer(self, name: str, *phones: str) -> Customer:
        draft = CustomerDraft(name=name, phones=tuple(PhoneDraft(p) for p in phones))
        return await self.customers.create(SYSTEM, draft)

    def pops(self, event: str = "call:pop") -> list[tuple[int, dict[str, object]]]:
        return [(p.user_id, p.payload) for p in self.notifier.sent if p.event == event]


@pytest.fixture
async def world(db: Database, clock: FakeClock, notifier: RecordingNotifier, accounts: AccountService) -> World:
    agents = AgentService(db, clock, notifier, directory_ms=0)
    customers = CustomerService(db, clock, "CN")
    return World(db, clock, notifier, accounts, agents, customers,
                 TelephonyService(db, clock, notifier, customers, agents), CallService(db, clock, notifier, customers),
                 Source(None, "CN"))
