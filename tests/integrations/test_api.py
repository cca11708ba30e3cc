"""The integrations admin API and page: admin only, secrets shown once, errors naming their field."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from callcenter.accounts.models import Role
from callcenter.accounts.service import AccountService
from callcenter.integrations.models import IntegrationKind
from callcenter.web.keys import INTEGRATIONS
from tests.factories import login, make_user, origin
from tests.web.test_pseudo_locale import ALLOWED, untranslated

Client = TestClient[Any, Any]
SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f3e2d1c0b9a8f3e2d1c0b9a8f3e2d1c0"
SECRET_FIELDS = ("token_hash", "auth_token_secret", "auth_token")


async def _admin(client: Client, accounts: AccountService) -> str:
    await make_user(accounts, "root", Role.ADMIN)
    return await login(client, "root")


async def test_agents_and_strangers_are_refused(client: Client, app_accounts: AccountService) -> None:
    assert (await client.get("/api/integrations")).status == 401
    await make_user(app_accounts, "emma")
    await login(client, "emma")
    for method, path in (("GET", "/api/integrations"), ("POST", "/api/integrations"),
                         ("GET", "/api/integrations/1"), ("PATCH", "/api/integrations/1"),
                         ("POST", "/api/integrations/1/rotate"), ("GET", "/admin/integrations")):
        response = await client.request(method, path, headers={**origin(client), "Accept": "application/json"},
                                        json={})
        assert response.status == 403, path
        assert (await response.json())["error"]["code"] == "forbidden"


async def test_create_read_change_rotate_without_leaking_secrets(client: Client, app_accounts: AccountService) -> None:
    await _admin(client, app_accounts)
    created = await client.post("/api/integrations", headers=origin(client), json={
        "kind": "zammad", "name": "Zammad", "block_list": ["138 0013 8000"]})
    assert created.status == 201
    body = await created.json()
    token = body["token"]
    assert body["endpoints"] == {"cti": f"http://127.0.0.1:8080/api/v1/cti/{token}"}
    integration = body["integration"]
    assert integration["default_region"] == "CN" and integration["block_list"] == ["+8613800138000"]
    assert not any(f in integration for f in SECRET_FIELDS)
    service = client.app[INTEGRATIONS]
    assert await service.authenticate(IntegrationKind.ZAMMAD, token) is not None

    path = f"/api/integrations/{integration['id']}"
    read = await (await client.get(path)).json()
    assert read == integration and token not in str(read)
    changed = await client.patch(path, headers=origin(client), json={"enabled": False, "name": "Old Zammad"})
    assert changed.status == 200 and (await changed.json())["enabled"] is False
    assert await service.authenticate(IntegrationKind.ZAMMAD, token) is None

    rotated = await (await client.post(f"{path}/rotate", headers=origin(client))).json()
    assert rotated["token"] != token and rotated["token"] in rotated["endpoints"]["cti"]

    twilio = await client.post("/api/integrations", headers=origin(client), json={
        "kind": "twilio", "name": "Twilio", "default_region": "GB", "account_sid": SID, "auth_token": AUTH_TOKEN})
    assert twilio.status == 201
    text = await twilio.text()
    assert AUTH_TOKEN not in text
    twilio_body = await twilio.json()
    assert twilio_body["token"] is None and twilio_body["integration"]["has_auth_token"] is True
    assert twilio_body["endpoints"] == {"voice": "http://127.0.0.1:8080/api/telephony/twilio/voice",
                                        "status": "http://127.0.0.1:8080/api/telephony/twilio/status"}
    listed = await (await client.get("/api/integrations?kind=twilio")).json()
    assert [i["name"] for i in listed["items"]] == ["Twilio"]
    assert AUTH_TOKEN not in str(listed) and "auth_token_secret" not in str(listed)


async def test_bad_input_gets_422_naming_the_field(client: Client, app_accounts: AccountService) -> None:
    await _admin(client, app_accounts)
    response = await client.post("/api/integrations", headers=origin(client), json={
        "kind": "generic", "name": "PBX", "default_region": "CN", "block_list": ["13800138000", "call me"]})
    assert response.status == 422
    assert [f["loc"] for f in (await response.json())["error"]["fields"]] == [["block_list", 1]]
    region = await client.post("/api/integrations", headers=origin(client), json={
        "kind": "generic", "name": "PBX", "default_region": "QQ"})
    assert [f["loc"] for f in (await region.json())["error"]["fields"]] == [["default_region"]]
    kind = await client.post("/api/integrations", headers=origin(client), json={"kind": "sip", "name": "PBX"})
    assert kind.status == 422 and [f["loc"] for f in (await kind.json())["error"]["fields"]] == [["body", "kind"]]
    missing = await client.post("/api/integrations", headers=origin(client), json={"kind": "twilio", "name": "T"})
    assert {tuple(f["loc"]) for f in (await missing.json())["error"]["fields"]} == {("account_sid",),
                                                                                  ("auth_token",)}
    assert (await client.get("/api/integrations/999")).status == 404


async def test_admin_page_creates_shows_the_token_once_and_edits(client: Client, app_accounts: AccountService) -> None:
    csrf = await _admin(client, app_accounts)
    page = await client.get("/admin/integrations")
    assert page.status == 200 and "/admin/integrations" in await page.text()
    refused = await client.post("/admin/integrations", data={"kind": "generic", "name": "PBX", "_csrf": "nope"},
                                allow_redirects=False)
    assert refused.status == 303 and refused.headers["Location"].endswith("?error=csrf")

    created = await client.post("/admin/integrations", data={
        "kind": "generic", "name": "Asterisk", "default_region": "cn", "block_list": "138 0013 8000\n\n010 6552 9988",
        "account_sid": "", "auth_token": "", "_csrf": csrf})
    assert created.status == 200
    html = await created.text()
    token = re.search(r'id="secret-token">([^<]+)<', html)
    assert token is not None
    service = client.app[INTEGRATIONS]
    found = await service.authenticate(IntegrationKind.GENERIC, token.group(1))
    assert found is not None and found.block_list == ("+8613800138000", "+861065529988")
    again = await (await client.get("/admin/integrations")).text()
    assert token.group(1) not in again and "Asterisk" in again

    bad = await client.post(f"/admin/integrations/{found.id}", data={
        "name": "Asterisk", "default_region": "CN", "block_list": "13800138000\nnot-a-number", "enabled": "on",
        "_csrf": csrf})
    assert bad.status == 422 and "not-a-number" in await bad.text()
    saved = await client.post(f"/admin/integrations/{found.id}", data={
        "name": "Asterisk 2", "default_region": "GB", "block_list": "020 7946 0958", "_csrf": csrf},
        allow_redirects=False)
    assert saved.status == 303 and saved.headers["Location"] == "/admin/integrations?notice=updated"
    stored = await service.get(found.id)
    assert stored.name == "Asterisk 2" and stored.block_list == ("+442079460958",) and not stored.enabled

    rotated = await client.post(f"/admin/integrations/{found.id}/rotate", data={"_csrf": csrf})
    new_token = re.search(r'id="secret-token">([^<]+)<', await rotated.text())
    assert rotated.status == 200 and new_token is not None and new_token.group(1) != token.group(1)
    assert (await service.get(found.id)).token_hash != found.token_hash


async def test_admin_page_speaks_only_catalog_text(client: Client, app_accounts: AccountService) -> None:
    csrf = await _admin(client, app_accounts)
    pages: dict[str, str] = {}
    pages["empty"] = await (await client.get("/admin/integrations?locale=pseudo")).text()
    for kind, extra in (("generic", {}), ("zammad", {}),
                        ("twilio", {"account_sid": SID, "auth_token": AUTH_TOKEN})):
        response = await client.post("/admin/integrations?locale=pseudo", data={
            "kind": kind, "name": f"{kind}", "default_region": "CN", "block_list": "", "_csrf": csrf, **extra})
        pages[kind] = await response.text()
    pages["list"] = await (await client.get("/admin/integrations?notice=updated&locale=pseudo")).text()
    pages["error"] = await (await client.post("/admin/integrations?locale=pseudo", data={
        "kind": "generic", "name": "x", "default_region": "CN", "block_list": "nope", "_csrf": csrf})).text()
    found = {name: untranslated(html, ALLOWED | {"generic", "zammad", "twilio", "nope"})
             for name, html in pages.items()}
    assert {name: hits for name, hits in found.items() if hits} == {}
    assert all("⟦" in html for html in pages.values())
