"""Fixtures of the integration tests: a service over the real test database."""

from __future__ import annotations

import pytest

from callcenter.accounts.models import Actor, Role
from callcenter.accounts.service import AccountService
from callcenter.clock import FakeClock
from callcenter.db import Database
from callcenter.integrations.crypto import SecretBox
from callcenter.integrations.service import IntegrationService
from tests.factories import make_user

SECRET_KEY = "test-secret-key-with-enough-entropy-4f1c"


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(SECRET_KEY)


@pytest.fixture
def integrations(db: Database, clock: FakeClock, box: SecretBox) -> IntegrationService:
    return IntegrationService(db, clock, box)


@pytest.fixture
async def admin(accounts: AccountService) -> Actor:
    return Actor.of(await make_user(accounts, "admin", Role.ADMIN), "10.0.0.9")
