"""Socket.IO across nodes: two servers sharing one PostgreSQL database and one real Redis; a node stopping."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
import socketio

from callcenter.accounts.models import SYSTEM, Role
from callcenter.app import create_app
from callcenter.clock import FakeClock
from callcenter.routing.models import Presence
from callcenter.teams.api import TEAMS
from callcenter.web.keys import ACCOUNTS, REALTIME, ROUTING
from tests import backend
from tests.factories import make_settings, make_user
from tests.live import Live, until

TWO_NODES_NEED_POSTGRES = (
    "two nodes share one database, which needs PostgreSQL (set CALLCENTER_TEST_DATABASE_URL, for example"
    " through scripts/pg_local.py): a SQLite file serves one server"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway redis-server on a free loopback port, nothing saved to disk."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    port = _free_port()
    workdir: Path = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while not _answers_ping(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
async def nodes(aiohttp_server: Any, tmp_path: Path, redis_url: str) -> AsyncIterator[tuple[Live, Live]]:
    """Node A and node B: two apps on one database and one Redis; their sockets log into one dict."""
    if not backend.POSTGRES:
        pytest.skip(TWO_NODES_NEED_POSTGRES)
    settings = make_settings(tmp_path, redis_url=redis_url)
    received: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    lives = []
    for _ in range(2):
        server = await aiohttp_server(create_app(settings, FakeClock()))
        lives.append(Live(server, f"http://127.0.0.1:{server.port}", received))
    yield lives[0], lives[1]


async def _disconnect(*clients: socketio.AsyncClient) -> None:
    for client in clients:
        if client.connected:
            await client.disconnect()


async def test_an_emit_on_one_node_reaches_sockets_on_the_other(nodes: tuple[Live, Live]) -> None:
    a, b = nodes
    emma = await make_user(a.server.app[ACCOUNTS], "emma")
    await make_user(a.server.app[ACCOUNTS], "lina", Role.SUPERVISOR)
    on_b = await b.socket(await a.login("emma"), "emma@b")
    boss_b = await b.socket(await a.login("lina"), "lina@b")

    # A push to a user's room, from a service on node A.
    await a.server.app[ROUTING].set_presence(emma.id, Presence.AWAY, "lunch")
    await until(lambda: any(e == "agent:state" for e, _ in b.received["emma@b"]))
    state = next(d for e, d in b.received["emma@b"] if e == "agent:state")
    assert (state["presence"], state["reason"]) == ("away", "lunch")

    # A broadcast from node A, which has no socket in the room itself: it still goes out.
    assert not a.server.app[REALTIME].sio.manager.rooms.get("/", {}).get("supervisors")
    await a.server.app[REALTIME].broadcast("supervisors", "probe", {"from": "a"})
    await until(lambda: ("probe", {"from": "a"}) in b.received["lina@b"])
    assert ("probe", {"from": "a"}) not in b.received["emma@b"]
    await _disconnect(on_b, boss_b)


async def test_logout_on_one_node_ends_that_sessions_sockets_on_both(nodes: tuple[Live, Live]) -> None:
    a, b = nodes
    await make_user(a.server.app[ACCOUNTS], "emma")
    token = await a.login("emma")
    other_token = await b.login("emma")  # another login of hers: it stays
    on_a = await a.socket(token, "emma@a")
    on_b = await b.socket(token, "emma@b")
    other_b = await b.socket(other_token, "other@b")

    async with aiohttp.ClientSession(cookies={"cc_session": token}) as http:
        response = await http.delete(f"{a.url}/api/session", headers={"Origin": a.url})
        assert response.status == 200
    await until(lambda: not on_a.connected and not on_b.connected)
    assert ("session:ended", {}) in b.received["emma@b"]
    assert ("session:ended", {}) in a.received["emma@a"]
    assert other_b.connected and ("session:ended", {}) not in b.received["other@b"]
    with pytest.raises(socketio.exceptions.ConnectionError):
        await b.socket(token, "again@b")
    await _disconnect(other_b)


async def test_disabling_a_user_on_one_node_disconnects_her_on_the_other(nodes: tuple[Live, Live]) -> None:
    a, b = nodes
    accounts = a.server.app[ACCOUNTS]
    emma = await make_user(accounts, "emma")
    on_b = await b.socket(await a.login("emma"), "emma@b")
    await accounts.update_user(SYSTEM, emma.id, disabled=True)
    await until(lambda: not on_b.connected)
    assert ("session:ended", {}) in b.received["emma@b"]


async def test_team_membership_changed_on_one_node_moves_sockets_on_the_other(nodes: tuple[Live, Live]) -> None:
    a, b = nodes
    accounts, teams = a.server.app[ACCOUNTS], a.server.app[TEAMS]
    emma = await make_user(accounts, "emma")
    james = await make_user(accounts, "james")
    sales = await teams.create(SYSTEM, "Sales")
    await teams.add_member(SYSTEM, sales.id, james.id)
    emma_b = await b.socket(await a.login("emma"), "emma@b")
    james_b = await b.socket(await a.login("james"), "james@b")  # in the room from connecting

    await teams.add_member(SYSTEM, sales.id, emma.id)  # on node A; her socket is on node B
    # She joined before the room was told, so she hears of her own arrival.
    await until(lambda: b.received["emma@b"] and b.received["james@b"])
    assert b.received["emma@b"][0][0] == "team:update"
    assert b.received["emma@b"][0][1]["member_ids"] == sorted([emma.id, james.id])
    room = f"team:{sales.id}"
    assert emma_b.get_sid() in dict(b.server.app[REALTIME].sio.manager.get_participants("/", room))

    await teams.remove_member(SYSTEM, sales.id, emma.id)
    await until(lambda: len(b.received["emma@b"]) == 2)  # told on the way out
    await teams.rename(SYSTEM, sales.id, name="Sales team")  # told to the room
    await until(lambda: any(d.get("name") == "Sales team" for _, d in b.received["james@b"]))
    # Both sockets are on node B and were sent to from one message: had she been in the room, she had it now.
    assert [e for e, _ in b.received["emma@b"]] == ["team:update", "team:update"]
    assert emma_b.get_sid() not in dict(b.server.app[REALTIME].sio.manager.get_participants("/", room))
    await _disconnect(emma_b, james_b)


async def test_a_stopping_node_closes_its_sockets_first(live: Live) -> None:
    await make_user(live.server.app[ACCOUNTS], "emma")
    client = await live.socket(await live.login("emma"), "emma")
    started = time.monotonic()
    # Unless it closes them first, a stopping server waits for its WebSockets (about 45 s here).
    async with asyncio.timeout(10):
        await live.server.close()
    assert time.monotonic() - started < 10
    await until(lambda: not client.connected)


async def test_a_node_on_a_live_redis_says_its_channel_is_ok(aiohttp_client: Any, tmp_path: Path,
                                                              redis_url: str) -> None:
    client = await aiohttp_client(create_app(make_settings(tmp_path, redis_url=redis_url), FakeClock()))
    response = await client.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok", "channel": "ok"}


async def test_an_installation_talks_on_its_own_redis_channel(aiohttp_client: Any, tmp_path: Path,
                                                               redis_url: str) -> None:
    """Two installations can share one Redis: each node publishes on its installation's channel only."""
    listener = aioredis.Redis.from_url(redis_url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe("center-a", "socketio")
    try:
        settings = make_settings(tmp_path, redis_url=redis_url, redis_channel="center-a")
        client = await aiohttp_client(create_app(settings, FakeClock()))
        await client.app[REALTIME].broadcast("supervisors", "probe", {"from": "center-a"})
        message = None
        async with asyncio.timeout(5):
            while message is None:
                message = await pubsub.get_message(timeout=1.0)
        assert message["channel"] == b"center-a" and b"probe" in message["data"]
        assert await pubsub.get_message(timeout=0.2) is None  # nothing on the default channel
    finally:
        await pubsub.aclose()
        await listener.aclose()
