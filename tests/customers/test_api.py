"""The customers API and pages through the real application: policies, 201/422/403/404, paging, bulk."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from callcenter.accounts.models import Role
from callcenter.accounts.service import AccountService
from callcenter.web.i18n import PSEUDO_OPEN
from callcenter.web.keys import OPENAPI
from tests.customers.test_value import NOW
from tests.factories import login, make_user, origin
from tests.web.test_pseudo_locale import PRODUCT, untranslated

Client = TestClient[Any, Any]
DAY_MS = 86_400_000


async def as_user(client: Client, accounts: AccountService, username: str, role: Role = Role.AGENT) -> dict[str, str]:
    await make_user(accounts, username, role)
    client.session.cookie_jar.clear()  # log the previous user out
    await login(client, username)
    return origin(client)


async def test_agents_create_read_update_and_get_fields_named(client: Client, app_accounts: AccountService) -> None:
    assert (await client.get("/api/customers")).status == 401
    headers = await as_user(client, app_accounts, "emma")

    response = await client.post("/api/customers", headers=headers, json={
        "name": "王芳", "phones": [{"raw": "138 0013 8000", "label": "mobile"}], "language": "zh-Hans",
        "timezone": "Asia/Shanghai", "notes": "VIP", "notes_important": True})
    assert response.status == 201, await response.text()
    wang = await response.json()
    assert wang["phones"] == [{"e164": "+8613800138000", "extension": None, "raw": "138 0013 8000",
                               "label": "mobile", "display": "138 0013 8000"}]
    assert wang["tier"] == "C" and wang["notes_important"] is True

    bad = await client.post("/api/customers", headers=headers, json={
        "name": "Ann", "phones": [{"raw": "13800138001"}, {"raw": "123"}], "timezone": "Mars/Base"})
    assert bad.status == 422
    assert sorted(f["loc"] for f in (await bad.json())["error"]["fields"]) == [["phones", 1], ["timezone"]]
    bad = await client.post("/api/customers", headers=headers, json={"phones": [], "colour": "red"})
    assert sorted(f["loc"] for f in (await bad.json())["error"]["fields"]) == [["body", "colour"], ["body", "name"]]

    changed = await client.patch(f"/api/customers/{wang['id']}", headers=headers, json={
        "company": "华为", "phones": [{"raw": "020 7946 0958"}], "region": "GB", "notes": None})
    assert changed.status == 200, await changed.text()
    body = await changed.json()
    assert (body["company"], body["notes"], body["name"]) == ("华为", "", "王芳")
    assert [p["e164"] for p in body["phones"]] == ["+442079460958"]
    assert body["phones"][0]["display"] == "+44 20 7946 0958"
    assert (await (await client.get(f"/api/customers/{wang['id']}")).json()) == body
    missing = await client.get("/api/customers/999")
    assert missing.status == 404 and (await missing.json())["error"]["code"] == "not_found"
    assert (await client.patch("/api/customers/999", headers=headers, json={"name": "x"})).status == 404


async def test_list_pages_and_searches(client: Client, app_accounts: AccountService) -> None:
    headers = await as_user(client, app_accounts, "emma")
    for name, phone in [("Ann", "13800138000"), ("Bo", "13900139000"), ("李雷", "+44 20 7946 0958")]:
        assert (await client.post("/api/customers", headers=headers,
                                  json={"name": name, "phones": [{"raw": phone}]})).status == 201

    page1 = await (await client.get("/api/customers?limit=2")).json()
    page2 = await (await client.get(f"/api/customers?limit=2&cursor={page1['next_cursor']}")).json()
    assert [c["name"] for c in page1["items"]] == ["Ann", "Bo"]
    assert [c["name"] for c in page2["items"]] == ["李雷"] and page2["next_cursor"] is None

    async def names(query: str) -> list[str]:
        response = await client.get("/api/customers", params={"q": query})
        return [c["name"] for c in (await response.json())["items"]]

    assert await names("雷") == ["李雷"]
    assert await names("+86 139 0013 9000") == ["Bo"]
    assert await names("0044 20 7946 0958") == ["李雷"]
    assert (await client.get("/api/customers?limit=500")).status == 422
    assert (await client.get("/api/customers?tier=Z")).status == 422


async def test_phones_and_card(client: Client, app_accounts: AccountService) -> None:
    headers = await as_user(client, app_accounts, "emma")
    ann = await (await client.post("/api/customers", headers=headers, json={"name": "Ann"})).json()

    added = await client.post(f"/api/customers/{ann['id']}/phones", headers=headers,
                              json={"phone": "020 7946 0958", "region": "GB", "label": "work"})
    assert added.status == 200
    assert [p["label"] for p in (await added.json())["phones"]] == ["work"]
    bad = await client.post(f"/api/customers/{ann['id']}/phones", headers=headers, json={"phone": "12"})
    assert bad.status == 422 and (await bad.json())["error"]["fields"][0]["loc"] == ["phone"]

    card = await (await client.get(f"/api/customers/{ann['id']}/card")).json()
    assert card["tier"] == "C" and card["rfm"] is None and card["dedicated_agent"] is None
    assert card["phones"][0]["display"] == "+44 20 7946 0958"
    assert (await client.get("/api/customers/999/card")).status == 404


async def test_bulk_customers_is_for_admins_and_reports_each_item(
    client: Client, app_accounts: AccountService
) -> None:
    headers = await as_user(client, app_accounts, "emma")
    body = {"region": "CN", "items": [
        {"name": "Ann", "phones": [{"raw": "13800138000"}]},
        {"name": "", "phones": [{"raw": "13800138001"}]},
        {"name": "Bo", "phones": [{"raw": "12"}]},
        {"name": "Cy", "region": "GB"},
        {"name": "ann", "phones": [{"raw": "+86 138 0013 8000"}], "company": "ACME"},
    ]}
    assert (await client.post("/api/customers/bulk", headers=headers, json=body)).status == 403
    headers = await as_user(client, app_accounts, "root", Role.ADMIN)

    response = await client.post("/api/customers/bulk", headers=headers, json=body)

    assert response.status == 200, await response.text()
    result = await response.json()
    assert (result["stored"], result["failed"]) == (2, 3)
    assert [(i["index"], i["action"]) for i in result["items"]] == [
        (0, "created"), (1, None), (2, None), (3, None), (4, "updated")]
    errors = [[f["loc"] for f in i["errors"]] for i in result["items"][1:4]]
    assert errors == [[["name"]], [["phones", 0]], [["region"]]]
    listed = await (await client.get("/api/customers")).json()
    assert [(c["name"], c["company"]) for c in listed["items"]] == [("ann", "ACME")]
    too_many = await client.post("/api/customers/bulk", headers=headers, json={"items": [{"name": "x"}] * 1001})
    assert too_many.status == 422 and (await too_many.json())["error"]["fields"][0]["loc"] == ["body", "items"]
    audit = await (await client.get("/api/audit")).json()
    assert audit["items"][0]["action"] == "customer.bulk"


async def test_orders_by_api_and_value_recomputed(client: Client, app_accounts: AccountService) -> None:
    agent = await as_user(client, app_accounts, "emma")
    ann = await (await client.post("/api/customers", headers=agent,
                                   json={"name": "Ann", "phones": [{"raw": "13800138000"}]})).json()
    bo = await (await client.post("/api/customers", headers=agent,
                                  json={"name": "Bo", "email": "bo@example.com"})).json()
    order = {"at": "2025-12-01", "amount_cents": 12_345, "external_id": "E-1"}
    assert (await client.post(f"/api/customers/{ann['id']}/orders", headers=agent, json=order)).status == 403

    admin = await as_user(client, app_accounts, "root", Role.ADMIN)
    created = await client.post(f"/api/customers/{ann['id']}/orders", headers=admin, json=order)
    assert created.status == 201
    assert (await created.json())["at"] == 1_764_547_200_000
    assert (await client.post("/api/customers/999/orders", headers=admin, json=order)).status == 404
    bad = await client.post(f"/api/customers/{ann['id']}/orders", headers=admin,
                            json={"at": "soon", "amount_cents": -1})
    assert sorted(f["loc"] for f in (await bad.json())["error"]["fields"]) == [
        ["body", "amount_cents"], ["body", "at"]]

    bulk = await client.post("/api/orders/bulk", headers=admin, json={"items": [
        {"customer_phone": "138 0013 8000", "at": "2025-12-20T10:00:00+08:00", "amount_cents": 100_000},
        {"customer_email": "BO@example.com", "at": "2025-11-01", "amount_cents": 10_000},
        {"customer_id": 999, "at": "2025-11-01", "amount_cents": 5_000},
        {"customer_id": bo["id"], "at": "2025-11-01"},
    ]})
    assert bulk.status == 200, await bulk.text()
    result = await bulk.json()
    assert [i["action"] for i in result["items"]] == ["stored", "stored", None, None]
    assert [[f["loc"] for f in i["errors"]] for i in result["items"][2:]] == [[["customer_id"]], [["amount_cents"]]]

    cards = [await (await client.get(f"/api/customers/{c['id']}/card")).json() for c in (ann, bo)]
    # Ann holds 112_345 of 122_345; Bo, behind 91.8 % of revenue, is B.
    assert [c["tier"] for c in cards] == ["A", "B"]
    assert cards[0]["revenue_12m_cents"] == 112_345 and cards[0]["orders_12m"] == 2
    orders = await (await client.get(f"/api/customers/{ann['id']}/orders?limit=1")).json()
    assert [o["external_id"] for o in orders["items"]] == ["E-1"] and orders["next_cursor"] is not None

    client.session.cookie_jar.clear()
    await login(client, "emma")
    assert (await client.post("/api/customers/values/recompute", headers=agent)).status == 403
    await as_user(client, app_accounts, "root2", Role.ADMIN)
    recomputed = await client.post("/api/customers/values/recompute", headers=admin)
    assert await recomputed.json() == {"changed": 0, "computed_at": NOW}  # the bulk import recomputed
    one_more = {"at": "2025-12-30", "amount_cents": 500_000}
    assert (await client.post(f"/api/customers/{bo['id']}/orders", headers=admin, json=one_more)).status == 201
    recomputed = await client.post("/api/customers/values/recompute", headers=admin)
    assert await recomputed.json() == {"changed": 2, "computed_at": NOW}
    tiers = [(await (await client.get(f"/api/customers/{c['id']}/card")).json())["tier"] for c in (ann, bo)]
    assert tiers == ["B", "A"]


async def test_customer_pages(client: Client, app_accounts: AccountService) -> None:
    headers = await as_user(client, app_accounts, "emma")
    ann = await (await client.post("/api/customers", headers=headers, json={
        "name": "王芳", "company": "华为", "phones": [{"raw": "13800138000"}], "notes": "Speak slowly",
        "notes_important": True})).json()
    await client.post("/api/customers", headers=headers, json={"name": "Bo"})

    listing = await client.get("/customers?q=%E8%8A%B3")
    assert listing.status == 200 and listing.headers["Cache-Control"] == "no-store"
    text = await listing.text()
    assert f'href="/customers/{ann["id"]}"' in text and "Bo" not in text

    detail = await client.get(f"/customers/{ann['id']}")
    assert detail.status == 200
    page = await detail.text()
    assert "王芳" in page and "138 0013 8000" in page and "Speak slowly" in page and "Tier C" in page
    assert (await client.get("/customers/999")).status == 404
    zh = await (await client.get(f"/customers/{ann['id']}?locale=zh-Hans")).text()
    assert "C 类" in zh


def test_routes_are_in_the_openapi_document(client: Client) -> None:
    paths = client.app[OPENAPI]["paths"]
    assert paths["/api/customers/bulk"]["post"]["x-policy"] == "admin"
    assert paths["/api/customers"]["get"]["x-policy"] == "agent"
    assert paths["/api/orders/bulk"]["post"]["x-policy"] == "admin"


async def test_customer_pages_take_every_word_from_the_catalog(client: Client, app_accounts: AccountService) -> None:
    headers = await as_user(client, app_accounts, "emma")
    ann = await (await client.post("/api/customers", headers=headers, json={
        "name": "Ann Lee", "company": "Acme", "email": "ann@example.com", "phones": [{"raw": "13800138000"}],
        "notes": "Speak slowly", "notes_important": True, "language": "en", "segment": "retail",
        "timezone": "Europe/London"})).json()
    allowed = {PRODUCT}
    for path in ("/customers", "/customers?q=nobody", f"/customers/{ann['id']}"):
        response = await client.get(f"{path}{'&' if '?' in path else '?'}locale=pseudo")
        assert response.status == 200, path
        html = await response.text()
        assert PSEUDO_OPEN in html
        assert untranslated(html, allowed) == [], path
