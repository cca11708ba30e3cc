"""End to end: a PBX posts, the rung agent's real socket gets the pop; nobody else does."""

from __future__ import annotations

import aiohttp

from callcenter.accounts.models import SYSTEM
from callcenter.customers.api import CUSTOMERS
from callcenter.customers.models import CustomerDraft, PhoneDraft
from callcenter.integrations.models import IntegrationKind
from callcenter.web.keys import ACCOUNTS, INTEGRATIONS
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
