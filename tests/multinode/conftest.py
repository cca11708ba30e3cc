"""Two real ``callcenter serve`` processes on one PostgreSQL database and one Redis.

Runs only on PostgreSQL (``CALLCENTER_TEST_DATABASE_URL``, see tests/backend.py) with a
``redis-server`` binary on the machine; elsewhere every test here is skipped with the reason.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from callcenter.accounts.models import SYSTEM, Role, User
from callcenter.accounts.service import AccountService
from callcenter.clock import SystemClock
from callcenter.console.models import BUNDLE
from callcenter.db import Database
from callcenter.integrations.crypto import SecretBox
from callcenter.integrations.models import IntegrationKind
from callcenter.integrations.service import IntegrationService
from tests.backend import POSTGRES, database_url
from tests.factories import PASSWORD, RecordingNotifier, account_service

ROOT = Path(__file__).resolve().parents[2]
SECRET = "multinode-secret-key-multinode-secret-key"
REDIS = shutil.which("redis-server")

# Applied by each test module here (a conftest's own ``pytestmark`` marks nothing).
NEEDS_CLUSTER = [
    pytest.mark.skipif(not POSTGRES, reason="several nodes need PostgreSQL (CALLCENTER_TEST_DATABASE_URL)"),
    pytest.mark.skipif(REDIS is None, reason="several nodes need redis-server for Socket.IO between them"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    assert REDIS is not None
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


@dataclass
class Node:
    proc: subprocess.Popen[bytes]
    url: str

    def kill(self) -> None:
        """kill -9: no clean shutdown, no goodbye."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


@dataclass
class Cluster:
    nodes: list[Node]
    db: Database
    accounts: AccountService
    token: str
    received: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    sockets: list[socketio.AsyncClient] = field(default_factory=list)

    async def agent(self, username: str, role: Role = Role.AGENT) -> User:
        return await self.accounts.create_user(SYSTEM, username, PASSWORD, role, username.title())

    async def login(self, node: Node, username: str) -> str:
        async with aiohttp.ClientSession() as http:
            response = await http.post(f"{node.url}/api/session", json={"username": username, "password": PASSWORD})
            assert response.status == 200
            return response.cookies["cc_session"].value

    async def socket(self, node: Node, token: str, name: str) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)
        log = self.received.setdefault(name, [])

        async def anything(event: str, data: Any) -> None:
            if event == BUNDLE:  # several pushes for this user in one message: applied in order
                log.extend((p["event"], p["data"]) for p in data)
            else:
                log.append((event, data))

        client.on("*", anything)

        await client.connect(node.url, headers={"Cookie": f"cc_session={token}", "Origin": node.url},
                             transports=["websocket"], wait_timeout=10)
        self.sockets.append(client)
        return client

    async def post(self, node: Node, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        async with aiohttp.ClientSession() as http:
            response = await http.post(f"{node.url}/api/telephony/events", json=body,
                                       headers={"Authorization": f"Bearer {self.token}"})
            return response.status, await response.json() if response.status < 500 else {}

    async def queue(self, key: str, **settings: Any) -> None:
        columns = {"key": key, "name": key.title(), "created_at": 0, "updated_at": 0, **settings}
        async with self.db.transaction() as conn:
            await conn.execute(f"INSERT INTO queues ({', '.join(columns)}) VALUES "
                               f"({', '.join('?' for _ in columns)})", tuple(columns.values()))
        # Nodes rebuild their routers when the routing version moves (another node's change).
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE routing_state SET version = version + 1, node_id = 'test' WHERE id = 1")


def event(kind: str, call_id: str, **extra: Any) -> dict[str, Any]:
    return {"event": kind, "call_id": call_id, "direction": "inbound", "from": "+8613812345678",
            "to": "+861088880000", **extra}


async def _wait_up(node: Node) -> None:
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if node.proc.poll() is not None:
                raise RuntimeError(f"node exited with {node.proc.returncode}")
            try:
                async with http.get(node.url + "/login") as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError("node did not start")


def _spawn(database: str, redis_url: str, log_path: Path) -> Node:
    """Start ``callcenter serve`` on a free port; its log goes to a file in the test's directory."""
    port = free_port()
    env = {**os.environ, "CALLCENTER_DATABASE_URL": database, "CALLCENTER_REDIS_URL": redis_url,
           "CALLCENTER_SECRET_KEY": SECRET, "CALLCENTER_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "CALLCENTER_ARGON2_MEMORY_KIB": "1024", "CALLCENTER_ARGON2_TIME_COST": "1",
           "CALLCENTER_LOG_LEVEL": "WARNING"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "callcenter", "serve", "--host", "127.0.0.1",
                                 "--port", str(port)], env=env, cwd=ROOT, stdout=log, stderr=log)
    return Node(proc, f"http://127.0.0.1:{port}")


@pytest.fixture
async def cluster(tmp_path: Path, redis_url: str) -> AsyncIterator[Cluster]:
    url = database_url(tmp_path)
    db = Database(url)
    await db.connect()
    await db.migrate()
    accounts = account_service(db, SystemClock(), RecordingNotifier())
    integrations = IntegrationService(db, SystemClock(), SecretBox(SECRET))
    _, token = await integrations.create(SYSTEM, IntegrationKind.GENERIC, "pbx", "CN", [])
    nodes = [_spawn(url, redis_url, tmp_path / f"node-{n}.log") for n in range(2)]
    world = Cluster(nodes, db, accounts, token or "")
    try:
        for node in nodes:
            await _wait_up(node)
        yield world
    finally:
        for client in world.sockets:
            if client.connected:
                await client.disconnect()
        for node in nodes:
            if node.proc.poll() is None:
                node.proc.terminate()
                try:
                    node.proc.wait(10)
                except subprocess.TimeoutExpired:
                    node.proc.kill()
        await db.close()


async def eventually(check: Any, timeout: float = 15.0) -> None:
    """Poll an async check until it is true."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)
