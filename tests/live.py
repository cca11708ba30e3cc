"""A real server on a loopback port, real Socket.IO clients, and a wait helper."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import socketio
from aiohttp.test_utils import TestServer

from callcenter.console.models import BUNDLE
from tests.factories import PASSWORD


@dataclass
class Live:
    server: TestServer
    url: str
    # Each socket's messages as the console applies them: a bundle of pushes unpacked, in order.
    received: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    bundles: dict[str, list[list[str]]] = field(default_factory=dict)  # the events each bundle carried

    async def login(self, username: str) -> str:
        async with aiohttp.ClientSession() as http:
            response = await http.post(f"{self.url}/api/session", json={"username": username, "password": PASSWORD})
            assert response.status == 200
            return response.cookies["cc_session"].value

    async def socket(self, token: str | None, name: str, origin: str | None = None) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)
        log = self.received.setdefault(name, [])
        bundles = self.bundles.setdefault(name, [])

        @client.on("*")
        async def anything(event: str, data: Any) -> None:
            if event == BUNDLE:
                bundles.append([p["event"] for p in data])
                log.extend((p["event"], p["data"]) for p in data)
            else:
                log.append((event, data))

        headers = {}
        if token:
            headers["Cookie"] = f"cc_session={token}"
        if origin:
            headers["Origin"] = origin
        await client.connect(self.url, headers=headers, transports=["websocket"], wait_timeout=5)
        return client


async def until(condition: Any, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
