"""kill -9 the server mid-stream: every event it acknowledged is in the database after restart."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp

from callcenter.accounts.models import SYSTEM
from callcenter.clock import SystemClock
from callcenter.db import Database
from callcenter.integrations.crypto import SecretBox
from callcenter.integrations.models import IntegrationKind
from callcenter.integrations.service import IntegrationService


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _token(url: str) -> str:
    db = Database(url)
    await db.connect()
    await db.migrate()
    try:
        _, token = await IntegrationService(db, SystemClock(), SecretBox("k")).create(
            SYSTEM, IntegrationKind.GENERIC, "pbx", "CN", [])
    finally:
        await db.close()
    assert token
    return token


async def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CALLCENTER_DATABASE_URL": url, "CALLCENTER_SECRET_KEY": "k", "CALLCENTER_LOG_LEVEL": "ERROR"}
    proc = subprocess.Popen([sys.executable, "-m", "callcenter", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL)
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"http://127.0.0.1:{port}/login"):
                    return proc
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    raise RuntimeError("server did not start")


async def test_acknowledged_events_survive_sigkill(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cc.db"
    token = await _token(url)
    port = _port()
    proc = await _serve(url, port)
    acked: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}

    async def post(http: aiohttp.ClientSession, i: int) -> None:
        body = {"event": "ringing", "call_id": f"k{i}", "direction": "inbound", "from": f"+86138{i:08d}",
                "to": "+861088880000"}
        try:
            async with http.post(f"http://127.0.0.1:{port}/api/telephony/events", json=body, headers=headers) as r:
                if r.status == 200:
                    acked.append(f"k{i}")
        except aiohttp.ClientError:
            pass  # in flight when the server died: not acknowledged, so may or may not be stored

    async with aiohttp.ClientSession() as http:
        tasks = [asyncio.create_task(post(http, i)) for i in range(3000)]
        while len(acked) < 300:
            await asyncio.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        await asyncio.gather(*tasks)
    proc.wait()
    assert 300 <= len(acked) < 3000
    # Restart on the same file (recovery from the WAL), then check from outside the server.
    proc = await _serve(url, port)
    proc.terminate()
    proc.wait()
    with sqlite3.connect(tmp_path / "cc.db") as conn:
        stored = {r[0] for r in conn.execute("SELECT call_id FROM call_events")}
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert set(acked) <= stored
