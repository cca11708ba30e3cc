"""Shared fixtures: a temp SQLite database, a fake clock, the real application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callcenter.accounts.service import AccountService
from callcenter.app import create_app
from callcenter.clock import FakeClock
from callcenter.db import Database
from callcenter.settings import Settings
from callcenter.web.keys import ACCOUNTS
from tests.factories import RecordingNotifier, account_service, make_settings
from tests.live import Live


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url)
    await database.connect()
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def accounts(db: Database, clock: FakeClock, notifier: RecordingNotifier) -> AccountService:
    return account_service(db, clock, notifier)


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings, clock: FakeClock) -> TestClient[Any, Any]:
    app = create_app(settings, clock)
    test_client: TestClient[Any, Any] = await aiohttp_client(app)
    return test_client


@pytest.fixture
async def live(aiohttp_server: Any, settings: Settings, clock: FakeClock) -> AsyncIterator[Live]:
    app = create_app(settings, clock)
    server = await aiohttp_server(app)
    yield Live(server, f"http://127.0.0.1:{server.port}")


@pytest.fixture
def app_accounts(client: TestClient[Any, Any]) -> AccountService:
    return client.app[ACCOUNTS]
