"""End to end: a PBX posts, the rung agent's real socket gets the pop; nobody else does."""

from __future__ import annotations

import aiohttp

from callcenter.accounts.models import SYSTEM
from callcenter.customers.api import CUSTOMERS
from callcenter.customers.models import CustomerDraft, PhoneDraft
from callcenter.integrations.models import IntegrationKind
from callcenter.routing.models import Presence
from callcenter.web.keys import ACCOUNTS, INTEGRATIONS, ROUTING
from tests.factories import make_user
from tests.live import Live, until


async def test_the_pop_reaches_the_ringing_agent_only(live: Live) -> None:
    app = live.server.app
    for name in ("emma", "james"):
        await make_user(app[ACCOUNTS], name)
    await app[CUSTOMERS].create(SYSTEM, CustomerDraft(name="王芳", phones=(PhoneDraft("+8613812345678"),)))
    _, token = await app[INTEGRATIONS].create(SYSTEM, IntegrationKind.GENERIC, "pbx", "CN", [])
    emma = await live.socket(await live.login("emma"), "emma")
    james = await live.socket(await live.login("james"), "james")
    stranger = None
    try:
        stranger = await live.socket(None, "anonymous")
    except Exception:  # refused, as it must be
        live.received.setdefault("anonymous", [])
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"{live.url}/api/telephony/events", headers={"Authorization": f"Bearer {token}"},
                                   json={"event": "ringing", "call_id": "e2e-1", "direction": "inbound",
                                         "from": "13812345678", "to": "+861088880000", "agents": ["emma"]})
        assert response.status == 200
    # The pop is emitted before the webhook is answered: it is already on emma's socket or in flight.
    await until(lambda: any(e == "call:pop" for e, _ in live.received["emma"]))
    _event, pop = next((e, d) for e, d in live.received["emma"] if e == "call:pop")
    assert pop["customer"]["name"] == "王芳" and pop["customer"]["tier"] == "C"
    assert pop["match"] == {"kind": "national", "candidates": [pop["customer"]["id"]], "region_used": "CN",
                            "e164": "+8613812345678", "region": "CN", "display": "138 1234 5678",
                            "masked": "+86 138 **** 5678"}
    assert pop["seq"] >= 1
    marker = await live.socket(await live.login("james"), "marker")  # a round trip after the emits
    await marker.disconnect()
    assert [e for e, _ in live.received["james"] if e.startswith("call:")] == []
    assert live.received["anonymous"] == [] and stranger is None
    await emma.disconnect()
    await james.disconnect()


async def test_an_answer_reaches_the_agent_as_one_message_in_seq_order(live: Live) -> None:
    """The call's update and the agent's new state, recorded by one transaction, travel in one bundle."""
    app = live.server.app
    emma = await make_user(app[ACCOUNTS], "emma")
    await app[ROUTING].set_presence(emma.id, Presence.AVAILABLE, None)
    _, token = await app[INTEGRATIONS].create(SYSTEM, IntegrationKind.GENERIC, "pbx", "CN", [])
    socket = await live.socket(await live.login("emma"), "emma")
    base = {"call_id": "e2e-2", "direction": "inbound", "from": "13812345678", "to": "+861088880000"}
    async with aiohttp.ClientSession() as http:
        for body in ({"event": "ringing", "agents": ["emma"]}, {"event": "answered", "agent": "emma"}):
            response = await http.post(f"{live.url}/api/telephony/events",
                                       headers={"Authorization": f"Bearer {token}"}, json={**base, **body})
            assert response.status == 200
    await until(lambda: ["call:update", "agent:state"] in live.bundles["emma"])
    events = [(e, d["seq"]) for e, d in live.received["emma"] if "seq" in d]
    assert [s for _, s in events] == list(range(events[0][1], events[0][1] + len(events)))  # no gap, in order
    answered = next(i for i, (e, _) in enumerate(events) if e == "call:update")
    assert events[answered + 1][0] == "agent:state"
    state = live.received["emma"][-1][1]
    assert state["work"] == "on_call"
    await socket.disconnect()
