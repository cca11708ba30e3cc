"""Team rooms end to end: real server, real Socket.IO clients."""

from __future__ import annotations

import aiohttp

from callcenter.accounts.models import SYSTEM, Actor, Role
from callcenter.teams.api import TEAMS
from callcenter.web.keys import ACCOUNTS
from tests.factories import make_user
from tests.live import Live, until


async def test_a_team_broadcast_reaches_members_only_with_seq(live: Live) -> None:
    accounts = live.server.app[ACCOUNTS]
    teams = live.server.app[TEAMS]
    lina = await make_user(accounts, "lina", Role.SUPERVISOR, display_name="李娜")
    emma = await make_user(accounts, "emma")
    await make_user(accounts, "james")
    sales = await teams.create(SYSTEM, "Sales")
    await teams.add_member(SYSTEM, sales.id, emma.id)
    await teams.add_member(SYSTEM, sales.id, lina.id)
    tab1 = await live.socket(await live.login("emma"), "emma1")
    tab2 = await live.socket(await live.login("emma"), "emma2")
    outsider = await live.socket(await live.login("james"), "james")

    token = await live.login("lina")
    async with aiohttp.ClientSession(cookies={"cc_session": token}) as http:
        sent = await http.post(f"{live.url}/api/teams/{sales.id}/broadcast", json={"text": "Huddle at 3"},
                               headers={"Origin": live.url})
        assert sent.status == 200 and await sent.json() == {"recipients": 2}
    await until(lambda: live.received["emma1"] and live.received["emma2"])
    for name in ("emma1", "emma2"):
        event, data = live.received[name][0]
        assert event == "notify" and data["seq"] == 1 and data["team_id"] == sales.id
        assert (data["message_key"], data["params"]) == ("team.broadcast", {"from": "李娜", "text": "Huddle at 3"})

    marker = await live.socket(await live.login("james"), "marker")  # a round trip after the emit
    await marker.disconnect()
    assert live.received["james"] == []
    for client in (tab1, tab2, outsider):
        await client.disconnect()


async def test_a_member_added_while_connected_joins_the_room(live: Live) -> None:
    accounts = live.server.app[ACCOUNTS]
    teams = live.server.app[TEAMS]
    root = Actor.of(await make_user(accounts, "root", Role.ADMIN))
    emma = await make_user(accounts, "emma")
    james = await make_user(accounts, "james")
    sales = await teams.create(root, "Sales")
    await teams.add_member(root, sales.id, james.id)
    emma_socket = await live.socket(await live.login("emma"), "emma")
    james_socket = await live.socket(await live.login("james"), "james")  # joined at connect: already a member

    await teams.add_member(root, sales.id, emma.id)
    await until(lambda: live.received["emma"] and live.received["james"])
    for name in ("emma", "james"):
        assert live.received[name][0] == ("team:update", {
            "team_id": sales.id, "name": "Sales", "name_zh": None, "member_ids": sorted([emma.id, james.id]),
            "deleted": False})

    await teams.broadcast(root, sales.id, "Welcome, Emma")
    await until(lambda: len(live.received["emma"]) == 2)
    assert live.received["emma"][1][1]["params"]["text"] == "Welcome, Emma"

    await teams.remove_member(root, sales.id, emma.id)
    await until(lambda: len(live.received["emma"]) == 3 and len(live.received["james"]) == 3)
    assert live.received["emma"][2][1]["member_ids"] == [james.id]  # told on the way out
    await teams.rename(root, sales.id, name="Sales team")
    await until(lambda: len(live.received["james"]) == 4)
    marker = await live.socket(await live.login("emma"), "marker")  # a round trip after the emit
    await marker.disconnect()
    assert len(live.received["emma"]) == 3 and live.received["james"][3][1]["name"] == "Sales team"
    for client in (emma_socket, james_socket):
        await client.disconnect()
