"""Fixtures of the queue tests: a service over the real test database, an admin, a few agents."""

from __future__ import annotations

import pytest

from callcenter.accounts.models import Actor, Role
from callcenter.accounts.service import AccountService
from callcenter.clock import FakeClock
from callcenter.db import Database
from callcenter.queues.service import QueueService
from tests.factories import make_user


@pytest.fixture
def queues(db: Database, clock: FakeClock) -> QueueService:
    return QueueService(db, clock)


@pytest.fixture
async def admin(accounts: AccountService) -> Actor:
    return Actor.of(await make_user(accounts, "root", Role.ADMIN), "10.0.0.9")
