"""Fixtures of the team tests: a service over the real test database with a recording notifier."""

from __future__ import annotations

import pytest

from callcenter.accounts.models import Actor, Role
from callcenter.accounts.service import AccountService
from callcenter.clock import FakeClock
from callcenter.db import Database
from callcenter.teams.service import TeamService
from tests.factories import RecordingNotifier, make_user


@pytest.fixture
def teams(db: Database, clock: FakeClock, notifier: RecordingNotifier) -> TeamService:
    return TeamService(db, clock, notifier)


@pytest.fixture
async def admin(accounts: AccountService) -> Actor:
    return Actor.of(await make_user(accounts, "root", Role.ADMIN), "10.0.0.9")
