"""End-to-end Socket.IO: real server, real ``socketio.AsyncClient``s."""

from __future__ import annotations

import aiohttp
import pytest
import socketio

from callcenter.accounts.models import Role
from callcenter.routing.models import Presence
from callcenter.web.keys import ACCOUNTS, ROUTING
from tests.factories import make_user
from tests.live import Live, until


async def test_refused_without_a_session(live: Live) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        await live.socket(None, "anon")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await live.socket("forged-token", "anon")


async def test_refused_from_a_foreign_origin(live: Live) -> None:
    await make_user(live.server.app[ACCOUNTS], "emma")
    token = await live.login("emma")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await live.socket(token, "evil", origin="https://evil.example")
    ok = await live.socket(token, "emma", origin=live.url)
    assert ok.connected
    await ok.disconnect()


async def test_presence_is_acked_and_pushed_to_every_tab_and_supervisors(live: Live) -> None:
    accounts = live.server.app[ACCOUNTS]
    await make_user(accounts, "emma")
    await make_user(accounts, "lina", Role.SUPERVISOR)
    tab1 = await live.socket(await live.login("emma"), "tab1")
    tab2 = await live.socket(await live.login("emma"), "tab2")
    boss = await live.socket(await live.login("lina"), "boss")
    ack = await tab1.call("agent:presence", {"presence": "away", "reason": "lunch"})
    assert ack["ok"] is True and ack["state"]["presence"] == "away"
    await until(lambda: live.received["tab2"] and live.received["boss"])
    event, data = live.received["tab2"][0]
    assert (event, data["presence"], data["reason"], data["seq"]) == ("agent:state", "away", "lunch", 1)
    assert live.received["boss"][0][1]["presence"] == "away"
    bad = await tab1.call("agent:presence", {"presence": "asleep"})
    assert bad["ok"] is False and bad["error"]["fields"][0]["loc"] == ["presence"]
    for client in (tab1, tab2, boss):
        await client.disconnect()


async def test_an_agent_gets_nothing_meant_for_another(live: Live) -> None:
    accounts = live.server.app[ACCOUNTS]
    emma = await make_user(accounts, "emma")
    await make_user(accounts, "james")
    james = await live.socket(await live.login("james"), "james")
    await live.server.app[ROUTING].set_presence(emma.id, Presence.AVAILABLE, None)
    marker = await live.socket(await live.login("james"), "marker")  # a round trip after the emit
    await marker.disconnect()
    assert live.received["james"] == []
    await james.disconnect()


async def test_missed_pushes_are_replayed_exactly_once(live: Live) -> None:
    accounts = live.server.app[ACCOUNTS]
    agents = live.server.app[ROUTING]
    emma = await make_user(accounts, "emma")
    token = await live.login("emma")
    first = await live.socket(token, "first")
    await agents.set_presence(emma.id, Presence.AVAILABLE, None)
    await until(lambda: len(live.received["first"]) == 1)
    last_seq = live.received["first"][-1][1]["seq"]
    await first.disconnect()

    for presence, reason in ((Presence.AWAY, "break"), (Presence.AVAILABLE, None), (Presence.AWAY, "meeting")):
        await agents.set_presence(emma.id, presence, reason)

    second = await live.socket(token, "second")
    async with aiohttp.ClientSession(cookies={"cc_session": token}) as http:
        snapshot = await (await http.get(f"{live.url}/api/console/snapshot?since={last_seq}")).json()
    assert snapshot["reset"] is False and snapshot["seq"] == last_seq + 3
    assert [p["data"]["seq"] for p in snapshot["pushes"]] == [last_seq + 1, last_seq + 2, last_seq + 3]
    assert [p["data"]["presence"] for p in snapshot["pushes"]] == ["away", "available", "away"]
    assert snapshot["state"]["presence"]["reason"] == "meeting"
    assert live.received["second"] == []  # nothing is re-sent on the socket: the snapshot alone catches up
    await second.disconnect()


async def test_snapshot_resets_a_client_that_is_new_or_ahead(live: Live) -> None:
    await make_user(live.server.app[ACCOUNTS], "emma")
    token = await live.login("emma")
    async with aiohttp.ClientSession(cookies={"cc_session": token}) as http:
        fresh = await (await http.get(f"{live.url}/api/console/snapshot")).json()
        ahead = await (await http.get(f"{live.url}/api/console/snapshot?since=99")).json()
    assert fresh["reset"] is True and fresh["state"]["me"]["username"] == "emma"
    assert ahead["reset"] is True


async def test_logout_ends_the_socket(live: Live) -> None:
    await make_user(live.server.app[ACCOUNTS], "emma")
    token = await live.login("emma")
    client = await live.socket(token, "emma")
    async with aiohttp.ClientSession(cookies={"cc_session": token}) as http:
        response = await http.delete(f"{live.url}/api/session", headers={"Origin": live.url})
        assert response.status == 200
    await until(lambda: not client.connected)
    assert ("session:ended", {}) in live.received["emma"]
    with pytest.raises(socketio.exceptions.ConnectionError):
        await live.socket(token, "again")
