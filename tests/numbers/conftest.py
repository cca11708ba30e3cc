"""Fixtures of the number tests: queue rows made with plain SQL, the services over the real test database."""

from __future__ import annotations

import pytest

from callcenter.accounts.models import Actor, Role
from callcenter.accounts.service import AccountService
from callcenter.calendars.service import CalendarService
from callcenter.clock import FakeClock
from callcenter.db import Database
from callcenter.numbers.service import NumberService
from tests.factories import make_user


async def add_queue(db: Database, key: str, name: str | None = None, now: int = 0) -> int:
    """A queue row, made directly: the numbers only need its key."""
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO queues (key, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                           (key, name or key.title(), now, now))
        queue_id: int = await conn.fetchval("SELECT id FROM queues WHERE key = ?", (key,))
    return queue_id


@pytest.fixture
def calendars(db: Database, clock: FakeClock) -> CalendarService:
    return CalendarService(db, clock)


@pytest.fixture
def numbers(db: Database, clock: FakeClock, calendars: CalendarService) -> NumberService:
    service = NumberService(db, clock, "GB")
    calendars.on_change.append(service.forget_routes)
    return service


@pytest.fixture
async def admin(accounts: AccountService) -> Actor:
    return Actor.of(await make_user(accounts, "root", Role.ADMIN), "10.0.0.9")
