"""Plain factory functions for tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp.test_utils import TestClient

from callcenter.accounts.hashing import PasswordHasher
from callcenter.accounts.models import SYSTEM, Role, User
from callcenter.accounts.service import AccountPolicy, AccountService
from callcenter.clock import Clock
from callcenter.console.models import Push
from callcenter.db import Database
from callcenter.settings import Settings
from tests.backend import database_url

PASSWORD = "correct-horse-battery"


@dataclass
class RecordingNotifier:
    """A notifier that remembers what services asked it to deliver."""

    sent: list[Push] = field(default_factory=list)
    broadcasts: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    rooms: list[tuple[int, list[str], list[str]]] = field(default_factory=list)

    async def send(self, pushes: Sequence[Push]) -> None:
        self.sent.extend(pushes)

    async def broadcast(self, room: str, event: str, payload: dict[str, Any]) -> None:
        self.broadcasts.append((room, event, payload))

    async def end_sessions(self, token_hashes: Sequence[str]) -> None:
        self.ended.extend(token_hashes)

    async def join_rooms(self, user_id: int, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        self.rooms.append((user_id, list(add), list(remove)))


def make_settings(tmp_path: Any, **overrides: Any) -> Settings:
    """Settings for the test directory's database (SQLite or PostgreSQL: tests/backend.py), cheap hashing."""
    values: dict[str, Any] = {
        "database_url": database_url(tmp_path),
        "argon2_memory_kib": 1024,
        "argon2_time_cost": 1,
        "public_url": "http://127.0.0.1:8080",
    }
    values.update(overrides)
    return Settings(**values)


def account_service(db: Database, clock: Clock, notifier: RecordingNotifier, **policy: Any) -> AccountService:
    """An account service over a real database with a recording notifier."""
    return AccountService(db, clock, PasswordHasher(1024, 1), notifier, AccountPolicy(**policy))


async def make_user(accounts: AccountService, username: str, role: Role = Role.AGENT,
                    password: str = PASSWORD, **kw: Any) -> User:
    """Create a user as the system."""
    return await accounts.create_user(SYSTEM, username, password, role, **kw)


async def login(client: TestClient[Any, Any], username: str, password: str = PASSWORD) -> str:
    """Log a test client in; return the CSRF token. The client's cookie jar keeps the session."""
    response = await client.post("/api/session", json={"username": username, "password": password},
                                 headers=origin(client))
    assert response.status == 200, await response.text()
    body = await response.json()
    return str(body["csrf_token"])


def origin(client: TestClient[Any, Any]) -> dict[str, str]:
    """The Origin header the test server accepts as its own."""
    return {"Origin": f"http://{client.host}:{client.port}"}
