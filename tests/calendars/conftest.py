"""Fixtures of the calendar service and API tests: the service over the real test database, an admin."""

from __future__ import annotations

import pytest

from callcenter.accounts.models import Actor, Role
from callcenter.accounts.service import AccountService
from callcenter.calendars.service import CalendarService
from callcenter.clock import FakeClock
from callcenter.db import Database
from tests.factories import make_user


@pytest.fixture
def calendars(db: Database, clock: FakeClock) -> CalendarService:
    return CalendarService(db, clock)


@pytest.fixture
async def admin(accounts: AccountService) -> Actor:
    return Actor.of(await make_user(accounts, "root", Role.ADMIN), "10.0.0.9")
