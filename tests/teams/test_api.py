"""The teams API and admin page: agents read, admins change, supervisors broadcast; errors name their field."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from callcenter.accounts.models import SYSTEM, Role
from callcenter.accounts.service import AccountService
from callcenter.teams.api import TEAMS
from tests.factories import login, make_user, origin
from tests.web.test_pseudo_locale import ALLOWED, untranslated

Client = TestClient[Any, Any]
ADMIN_ROUTES = (("POST", "/api/teams"), ("PATCH", "/api/teams/1"), ("DELETE", "/api/teams/1"),
                ("POST", "/api/teams/1/members"), ("DELETE", "/api/teams/1/members/1"), ("GET", "/admin/teams"))


def _locs(body: dict[str, Any]) -> list[list[str | int]]:
    return [f["loc"] for f in body["error"]["fields"]]


async def test_agents_read_but_may_not_change_or_broadcast(client: Client, app_accounts: AccountService) -> None:
    assert (await client.get("/api/teams")).status == 401
    await make_user(app_accounts, "emma")
    sales = await client.app[TEAMS].create(SYSTEM, "Sales")
    await login(client, "emma")
    listed = await client.get("/api/teams")
    assert listed.status == 200
    assert [(t["name"], t["member_count"]) for t in (await listed.json())["items"]] == [("Sales", 0)]
    assert (await client.get(f"/api/teams/{sales.id}")).status == 200
    for method, path in (*ADMIN_ROUTES, ("POST", f"/api/teams/{sales.id}/broadcast")):
        response = await client.request(method, path, headers={**origin(client), "Accept": "application/json"},
                                        json={"name": "x", "user_id": 1, "text": "x"})
        assert response.status == 403, path
        assert (await response.json())["error"]["code"] == "forbidden"


async def test_supervisors_broadcast_but_may_not_administer(client: Client, app_accounts: AccountService) -> None:
    lina = await make_user(app_accounts, "lina", Role.SUPERVISOR)
    emma = await make_user(app_accounts, "emma")
    teams = client.app[TEAMS]
    sales = await teams.create(SYSTEM, "Sales")
    await teams.add_member(SYSTEM, sales.id, emma.id)
    await teams.add_member(SYSTEM, sales.id, lina.id)
    await login(client, "lina")
    for method, path in ADMIN_ROUTES:
        response = await client.request(method, path, headers={**origin(client), "Accept": "application/json"},
                                        json={})
        assert response.status == 403, path
    sent = await client.post(f"/api/teams/{sales.id}/broadcast", headers=origin(client), json={"text": "Huddle at 3"})
    assert sent.status == 200 and await sent.json() == {"recipients": 2}
    for body in ({"text": ""}, {"text": "x" * 501}, {}):
        bad = await client.post(f"/api/teams/{sales.id}/broadcast", headers=origin(client), json=body)
        assert bad.status == 422 and _locs(await bad.json()) == [["body", "text"]]
    blank = await client.post(f"/api/teams/{sales.id}/broadcast", headers=origin(client), json={"text": "   "})
    assert blank.status == 422 and _locs(await blank.json()) == [["text"]]
    missing = await client.post("/api/teams/999/broadcast", headers=origin(client), json={"text": "hello"})
    assert missing.status == 404


async def test_admin_crud_and_membership_over_the_api(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    emma = await make_user(app_accounts, "emma", display_name="Emma Wilson")
    gone = await make_user(app_accounts, "gone")
    await app_accounts.update_user(SYSTEM, gone.id, disabled=True)
    await login(client, "root")
    created = await client.post("/api/teams", headers=origin(client), json={"name": "售前 Sales", "name_zh": "售前"})
    assert created.status == 201
    team = await created.json()
    assert (team["name"], team["name_zh"], team["member_count"]) == ("售前 Sales", "售前", 0)
    path = f"/api/teams/{team['id']}"

    taken = await client.post("/api/teams", headers=origin(client), json={"name": "售前 Sales"})
    assert taken.status == 409 and _locs(await taken.json()) == [["name"]]
    empty = await client.post("/api/teams", headers=origin(client), json={"name": ""})
    assert empty.status == 422 and _locs(await empty.json()) == [["body", "name"]]

    added = await client.post(f"{path}/members", headers=origin(client), json={"user_id": emma.id})
    assert added.status == 200
    assert (await added.json())["members"] == [
        {"id": emma.id, "username": "emma", "display_name": "Emma Wilson", "role": "agent"}]
    again = await client.post(f"{path}/members", headers=origin(client), json={"user_id": emma.id})
    assert again.status == 409 and _locs(await again.json()) == [["user_id"]]
    for user_id in (gone.id, 999):
        refused = await client.post(f"{path}/members", headers=origin(client), json={"user_id": user_id})
        assert refused.status == 422 and _locs(await refused.json()) == [["user_id"]]
    assert (await client.post("/api/teams/999/members", headers=origin(client),
                              json={"user_id": emma.id})).status == 404

    renamed = await client.patch(path, headers=origin(client), json={"name": "Sales"})
    assert renamed.status == 200
    assert (await renamed.json())["name"] == "Sales" and (await renamed.json())["name_zh"] == "售前"
    read = await (await client.get(path)).json()
    assert read["member_count"] == 1 and [m["username"] for m in read["members"]] == ["emma"]

    removed = await client.delete(f"{path}/members/{emma.id}", headers=origin(client))
    assert removed.status == 200 and (await removed.json())["members"] == []
    assert (await client.delete(f"{path}/members/{emma.id}", headers=origin(client))).status == 404
    deleted = await client.delete(path, headers=origin(client))
    assert deleted.status == 200 and await deleted.json() == {"ok": True}
    assert (await client.get(path)).status == 404


async def test_admin_page_creates_renames_adds_and_deletes(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    emma = await make_user(app_accounts, "emma", display_name="Emma Wilson")
    csrf = await login(client, "root")
    teams = client.app[TEAMS]
    page = await client.get("/admin/teams")
    assert page.status == 200 and 'href="/admin/teams" aria-current="page"' in await page.text()

    refused = await client.post("/admin/teams", data={"name": "Sales", "_csrf": "nope"}, allow_redirects=False,
                                headers={"Referer": f"http://{client.host}:{client.port}/admin/teams"})
    assert refused.status == 303 and refused.headers["Location"] == "/admin/teams?error=csrf"
    assert await teams.list_teams() == []
    explained = await (await client.get(refused.headers["Location"])).text()
    assert "The form had expired" in explained

    created = await client.post("/admin/teams", data={"name": "Sales", "name_zh": "", "_csrf": csrf},
                                allow_redirects=False)
    assert created.status == 303 and created.headers["Location"] == "/admin/teams?notice=created"
    [sales] = await teams.list_teams()
    assert (sales.name, sales.name_zh) == ("Sales", None)

    renamed = await client.post(f"/admin/teams/{sales.id}", data={"name": "售前 Sales", "name_zh": "售前",
                                                                  "_csrf": csrf}, allow_redirects=False)
    assert renamed.headers["Location"] == "/admin/teams?notice=renamed"
    added = await client.post(f"/admin/teams/{sales.id}/members", data={"username": "emma", "_csrf": csrf},
                              allow_redirects=False)
    assert added.headers["Location"] == "/admin/teams?notice=member_added"
    listing = await (await client.get("/admin/teams?notice=member_added")).text()
    assert "Member added." in listing and "售前 Sales" in listing and "Emma Wilson" in listing
    assert f'action="/admin/teams/{sales.id}/members/{emma.id}/remove"' in listing

    unknown = await client.post(f"/admin/teams/{sales.id}/members", data={"username": "nobody", "_csrf": csrf})
    assert unknown.status == 422 and "No user has that username." in await unknown.text()
    twice = await client.post(f"/admin/teams/{sales.id}/members", data={"username": "emma", "_csrf": csrf})
    assert twice.status == 409 and "already in this team" in await twice.text()
    blank = await client.post(f"/admin/teams/{sales.id}", data={"name": " ", "name_zh": "", "_csrf": csrf})
    assert blank.status == 422 and "The name must be 1–80 characters." in await blank.text()

    removed = await client.post(f"/admin/teams/{sales.id}/members/{emma.id}/remove", data={"_csrf": csrf},
                                allow_redirects=False)
    assert removed.headers["Location"] == "/admin/teams?notice=member_removed"
    assert await teams.members(sales.id) == []
    deleted = await client.post(f"/admin/teams/{sales.id}/delete", data={"_csrf": csrf}, allow_redirects=False)
    assert deleted.headers["Location"] == "/admin/teams?notice=deleted"
    assert await teams.list_teams() == []
    gone = await client.post(f"/admin/teams/{sales.id}/delete", data={"_csrf": csrf})
    assert gone.status == 404 and "That team or member no longer exists." in await gone.text()


async def test_admin_page_speaks_only_catalog_text(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    lina = await make_user(app_accounts, "lina", Role.SUPERVISOR, display_name="李娜")
    gone = await make_user(app_accounts, "gone", display_name="Gone Person")
    csrf = await login(client, "root")
    teams = client.app[TEAMS]
    pages = {"empty": await (await client.get("/admin/teams?locale=pseudo")).text()}
    sales = await teams.create(SYSTEM, "Sales", "售前")
    await teams.add_member(SYSTEM, sales.id, lina.id)
    await teams.add_member(SYSTEM, sales.id, gone.id)
    await app_accounts.update_user(SYSTEM, gone.id, disabled=True)
    await teams.create(SYSTEM, "Support")
    for notice in ("created", "renamed", "deleted", "member_added", "member_removed"):
        pages[notice] = await (await client.get(f"/admin/teams?notice={notice}&locale=pseudo")).text()
    pages["csrf"] = await (await client.get("/admin/teams?error=csrf&locale=pseudo")).text()
    for data in ({"name": "Sales"}, {"name": ""}, {"name": "x", "name_zh": "售" * 81}):
        response = await client.post("/admin/teams?locale=pseudo", data={**data, "_csrf": csrf})
        pages[f"error {data}"] = await response.text()
    for username in ("nobody", "lina"):
        response = await client.post(f"/admin/teams/{sales.id}/members?locale=pseudo",
                                     data={"username": username, "_csrf": csrf})
        pages[f"member {username}"] = await response.text()
    found = {name: untranslated(html, ALLOWED) for name, html in pages.items()}
    assert {name: hits for name, hits in found.items() if hits} == {}
    assert all("⟦" in html for html in pages.values())
    assert "⟦2 mémbérs⟧" in pages["created"] and "⟦0 mémbérs⟧" in pages["created"]
