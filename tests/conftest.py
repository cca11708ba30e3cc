"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL: tests/backend.py), a fake clock, the app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
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
from tests import backend
from tests.factories import RecordingNotifier, account_service, make_settings
from tests.live import Live

# Tests about something only SQLite has; on PostgreSQL they are skipped with the reason.
SQLITE_ONLY = {
    "tests/test_backup.py": "backup and restore copy the SQLite file; PostgreSQL uses pg_dump and pg_restore",
    "tests/telephony/test_durability.py": "checks the SQLite file after a kill -9 (PostgreSQL's own WAL covers it)",
    "tests/browser/": "browser tests run on SQLite only",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only(reason): skipped when the suite runs on PostgreSQL")


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {'PostgreSQL at ' + str(backend.BASE_URL) if backend.POSTGRES else 'SQLite'}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not backend.POSTGRES:
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        reason = (marker.args[0] if marker.args else "SQLite only") if marker else next(
            (why for path, why in SQLITE_ONLY.items() if item.nodeid.startswith(path)), None)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    backend.shutdown()


@pytest.fixture(autouse=True)
def _fresh_databases() -> Iterator[None]:
    """Databases a test was given are dropped after it (in the background; PostgreSQL only)."""
    yield
    backend.release()


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
