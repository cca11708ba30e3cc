from typing import Any

from aiohttp.test_utils import TestClient

from callcenter.accounts.models import Role
from callcenter.accounts.service import AccountService
from tests.factories import PASSWORD, login, make_user, origin

Client = TestClient[Any, Any]


async def test_login_sets_a_safe_cookie(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "emma")
    response = await client.post("/api/session", json={"username": "emma", "password": PASSWORD})
    assert response.status == 200
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    me = await client.get("/api/me")
    assert (await me.json())["user"]["username"] == "emma"


async def test_admin_api_needs_admin(client: Client, app_accounts: AccountService) -> None:
    assert (await client.get("/api/users")).status == 401
    await make_user(app_accounts, "emma")
    await login(client, "emma")
    response = await client.get("/api/users")
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "forbidden"


async def test_users_crud_with_paging(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "admin", Role.ADMIN)
    for i in range(4):
        await make_user(app_accounts, f"agent{i}")
    await login(client, "admin")
    page1 = await (await client.get("/api/users?limit=3")).json()
    assert [u["username"] for u in page1["items"]] == ["admin", "agent0", "agent1"]
    page2 = await (await client.get(f"/api/users?limit=3&cursor={page1['next_cursor']}")).json()
    assert [u["username"] for u in page2["items"]] == ["agent2", "agent3"] and page2["next_cursor"] is None
    filtered = await (await client.get("/api/users?role=admin")).json()
    assert [u["username"] for u in filtered["items"]] == ["admin"]

    created = await client.post("/api/users", headers=origin(client), json={
        "username": "lina", "password": PASSWORD, "role": "supervisor", "display_name": "李娜"})
    assert created.status == 201
    lina = await created.json()
    assert "password" not in str(lina) and lina["display_name"] == "李娜"
    changed = await client.patch(f"/api/users/{lina['id']}", headers=origin(client), json={"disabled": True})
    assert (await changed.json())["disabled"] is True
    audit = await (await client.get("/api/audit")).json()
    assert [e["action"] for e in audit["items"]][:2] == ["user.update", "user.create"]


async def test_bad_input_gets_422_naming_the_field(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "admin", Role.ADMIN)
    await login(client, "admin")
    response = await client.post("/api/users", headers=origin(client),
                                 json={"username": "ok-name", "password": "short", "role": "agent"})
    assert response.status == 422
    body = await response.json()
    assert body["error"]["code"] == "invalid"
    assert body["error"]["fields"][0]["loc"] == ["body", "password"]
    response = await client.post("/api/users", headers=origin(client),
                                 json={"username": "ok-name", "password": PASSWORD, "role": "boss"})
    assert (await response.json())["error"]["fields"][0]["loc"] == ["body", "role"]
    response = await client.get("/api/users?limit=0")
    assert (await response.json())["error"]["fields"][0]["loc"] == ["query", "limit"]
    response = await client.post("/api/users", headers={**origin(client), "Content-Type": "application/json"},
                                 data="{not json")
    assert response.status == 422
    assert await app_accounts.list_users(q="ok-name") == []


async def test_cookie_writes_need_our_origin(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "admin", Role.ADMIN)
    await login(client, "admin")
    body = {"username": "eve", "password": PASSWORD, "role": "admin"}
    for headers in ({}, {"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"}):
        response = await client.post("/api/users", json=body, headers=headers)
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "origin"
    assert await app_accounts.list_users(q="eve") == []


async def test_forms_need_the_csrf_token(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "admin", Role.ADMIN)
    csrf = await login(client, "admin")
    form = {"username": "newbie", "password": PASSWORD, "role": "agent", "display_name": "New"}
    refused = await client.post("/admin/users", data=form, allow_redirects=False)
    assert refused.status == 303 and refused.headers["Location"].endswith("?error=csrf")
    refused = await client.post("/admin/users", data={**form, "_csrf": "forged"}, allow_redirects=False)
    assert refused.status == 303 and refused.headers["Location"].endswith("?error=csrf")
    assert await app_accounts.list_users(q="newbie") == []
    accepted = await client.post("/admin/users", data={**form, "_csrf": csrf}, allow_redirects=False)
    assert accepted.status == 303
    assert [u.username for u in await app_accounts.list_users(q="newbie")] == ["newbie"]


async def test_login_form_needs_its_csrf_cookie(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "emma")
    page = await client.get("/login")
    token = page.cookies["cc_login_csrf"].value
    assert f'value="{token}"' in await page.text()
    form = {"username": "emma", "password": PASSWORD, "next": "/"}
    refused = await client.post("/login", data={**form, "_csrf": "nope"}, allow_redirects=False)
    assert refused.status == 303 and refused.headers["Location"] == "/login?error=csrf"
    wrong = await client.post("/login", data={**form, "password": "wrong-pass", "_csrf": token},
                              allow_redirects=False)
    assert wrong.status == 401
    ok = await client.post("/login", data={**form, "_csrf": token}, allow_redirects=False)
    assert ok.status == 303 and ok.headers["Location"] == "/"


async def test_login_redirect_stays_on_site(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "emma")
    token = (await client.get("/login")).cookies["cc_login_csrf"].value
    response = await client.post("/login", allow_redirects=False, data={
        "username": "emma", "password": PASSWORD, "next": "//evil.example/", "_csrf": token})
    assert response.headers["Location"] == "/"


async def test_logout_ends_the_session(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "emma")
    csrf = await login(client, "emma")
    response = await client.post("/logout", data={"_csrf": csrf}, allow_redirects=False)
    assert response.status == 303
    assert (await client.get("/api/me")).status == 401


async def test_pages_redirect_to_login(client: Client) -> None:
    response = await client.get("/", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login?next=/")


async def test_supervisor_page_needs_supervisor(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "emma")
    await login(client, "emma")
    assert (await client.get("/supervisor", allow_redirects=False)).status == 403


async def test_an_expired_form_goes_back_to_its_page_saying_why(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "admin", Role.ADMIN)
    await login(client, "admin")
    response = await client.post("/admin/users", data={"username": "x1", "_csrf": "stale"}, allow_redirects=False,
                                 headers={"Referer": f"http://{client.host}:{client.port}/admin/users"})
    assert response.status == 303 and response.headers["Location"] == "/admin/users?error=csrf"
    page = await client.get("/admin/users?error=csrf")
    assert "expired" in await page.text()
