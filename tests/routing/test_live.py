"""Presence belongs to the user, not the tab: real sockets against a real server, time moved by hand."""

from __future__ import annotations

import asyncio

import aiohttp

from callcenter.clock import FakeClock
from callcenter.telephony.api import TELEPHONY
from callcenter.telephony.generic import parse_generic
from callcenter.telephony.service import Source
from callcenter.web.keys import ACCOUNTS, CLOCK, DATABASE, ROUTING, TIMERS
from tests.factories import make_user
from tests.live import Live, until


async def connections(live: Live, user_id: int) -> int:
    return int(await live.server.app[DATABASE].fetchval(
        "SELECT COUNT(*) FROM agent_connections WHERE user_id = ?", (user_id,)))


async def gone(live: Live, user_id: int, left: int) -> None:
    async with asyncio.timeout(5):
        while await connections(live, user_id) != left:
            await asyncio.sleep(0.01)


async def test_two_tabs_agree_and_the_agent_goes_offline_30_s_after_the_last_closes(live: Live) -> None:
    app = live.server.app
    clock: FakeClock = app[CLOCK]
    emma = await make_user(app[ACCOUNTS], "emma")
    token = await live.login("emma")
    first = await live.socket(token, "first")
    second = await live.socket(token, "second")
    ack = await first.call("agent:presence", {"presence": "available"})
    assert ack["ok"] and ack["state"]["presence"] == "available" and ack["state"]["work"] == "idle"
    await until(lambda: any(e == "agent:state" for e, _ in live.received["second"]))  # the other tab agrees

    await first.disconnect()
    await gone(live, emma.id, 1)
    clock.advance(60)
    assert await app[TIMERS].run_due() == 0  # one tab is still open
    assert (await app[ROUTING].agent_state(emma.id))["presence"] == "available"

    await second.disconnect()
    await gone(live, emma.id, 0)
    clock.advance(29)
    assert await app[TIMERS].run_due() == 0
    clock.advance(2)
    assert await app[TIMERS].run_due() == 1
    assert (await app[ROUTING].agent_state(emma.id))["presence"] == "offline"


async def test_a_reload_within_the_grace_period_keeps_presence_and_the_ringing_card(live: Live) -> None:
    app = live.server.app
    clock: FakeClock = app[CLOCK]
    emma = await make_user(app[ACCOUNTS], "emma")
    token = await live.login("emma")
    tab = await live.socket(token, "tab")
    await tab.call("agent:presence", {"presence": "available"})
    body = {"event": "ringing", "call_id": "r1", "direction": "inbound", "from": "+8613812345678",
            "to": "+861088880000", "agents": ["emma"]}
    call = await app[TELEPHONY].ingest(Source(None, "CN"), [parse_generic(body, clock.now_ms())])
    await tab.disconnect()
    await gone(live, emma.id, 0)
    clock.advance(5)
    reloaded = await live.socket(token, "reloaded")  # the page came back within 30 s
    clock.advance(60)
    await app[TIMERS].run_due()
    async with aiohttp.ClientSession(cookies={"cc_session": token}) as http:
        snapshot = await (await http.get(f"{live.url}/api/console/snapshot")).json()
    await reloaded.disconnect()
    state = snapshot["state"]["presence"]
    assert (state["presence"], state["work"], state["call_id"]) == ("available", "ringing", call.call_id)
    assert [pop["call"]["id"] for pop in snapshot["state"]["calls"]["live"]] == [call.call_id]
