"""The skills, agents' skills, queues and dispositions API: agents read, only admins change; 4xx bodies name fields."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from callcenter.accounts.models import SYSTEM, Role
from callcenter.accounts.service import AccountService
from callcenter.queues.api import QUEUES
from callcenter.queues.models import DispositionDraft, QueueSettings, SkillWant
from callcenter.web.keys import OPENAPI
from tests.factories import login, make_user, origin

Client = TestClient[Any, Any]
WRITES = (("POST", "/api/skills"), ("PATCH", "/api/skills/1"), ("DELETE", "/api/skills/1"),
          ("PUT", "/api/agents/1/skills"), ("POST", "/api/queues"), ("PATCH", "/api/queues/1"),
          ("DELETE", "/api/queues/1"), ("POST", "/api/queues/1/dispositions"), ("PATCH", "/api/dispositions/1"),
          ("DELETE", "/api/dispositions/1"))


def _locs(body: dict[str, Any]) -> list[list[str | int]]:
    return [f["loc"] for f in body["error"]["fields"]]


async def _seed(client: Client) -> tuple[int, int]:
    queues = client.app[QUEUES]
    await queues.create_skill(SYSTEM, "French", "法语")
    sales = await queues.create_queue(SYSTEM, QueueSettings("sales", "Sales", skills=(SkillWant("French", 2),)))
    sale = await queues.add_disposition(SYSTEM, sales.id, DispositionDraft("sale", "Sale", "成交", True))
    await queues.add_disposition(SYSTEM, sales.id, DispositionDraft("spam", "Spam", enabled=False))
    return sales.id, sale.id


async def test_agents_read_queues_skills_and_dispositions_but_change_nothing(client: Client,
                                                                            app_accounts: AccountService) -> None:
    assert (await client.get("/api/queues")).status == 401
    emma = await make_user(app_accounts, "emma")
    sales_id, sale_id = await _seed(client)
    await login(client, "emma")

    listed = await (await client.get("/api/queues")).json()
    assert [(q["key"], q["skills"]) for q in listed["items"]] == [
        ("sales", [{"skill_id": 1, "skill": "French", "name_zh": "法语", "min_proficiency": 2}])]
    one = await (await client.get(f"/api/queues/{sales_id}")).json()
    assert (one["overflow_action"], one["tier_bonus"], one["max_no_answer"]) == (
        "reject", {"A": 60, "B": 20, "C": 0}, 3)
    dispositions = await (await client.get(f"/api/queues/{sales_id}/dispositions")).json()
    assert dispositions == {"items": [
        {"id": sale_id, "queue_id": sales_id, "code": "sale", "label": "Sale", "label_zh": "成交",
         "first_contact_resolved": True, "position": 0, "enabled": True},
        {"id": sale_id + 1, "queue_id": sales_id, "code": "spam", "label": "Spam", "label_zh": None,
         "first_contact_resolved": False, "position": 1, "enabled": False}]}
    skills = await (await client.get("/api/skills")).json()
    assert [(s["name"], s["queue_count"], s["agent_count"]) for s in skills["items"]] == [("French", 1, 0)]
    assert (await client.get("/api/skills/1")).status == 200
    assert (await client.get("/api/queues/999")).status == 404
    assert (await client.get("/api/queues/999/dispositions")).status == 404

    for method, path in (*WRITES, ("GET", f"/api/agents/{emma.id}/skills")):
        response = await client.request(method, path, headers=origin(client), json={})
        assert response.status == 403, path
        assert (await response.json())["error"]["code"] == "forbidden"


async def test_supervisors_read_agents_skills_but_may_not_set_them(client: Client,
                                                                  app_accounts: AccountService) -> None:
    emma = await make_user(app_accounts, "emma")
    await make_user(app_accounts, "lina", Role.SUPERVISOR)
    await client.app[QUEUES].create_skill(SYSTEM, "French")
    await client.app[QUEUES].set_agent_skills(SYSTEM, emma.id, [SkillWant("French", 4)])
    await login(client, "lina")
    read = await client.get(f"/api/agents/{emma.id}/skills")
    assert read.status == 200
    assert await read.json() == {"user_id": emma.id, "skills": [
        {"skill_id": 1, "skill": "French", "name_zh": None, "proficiency": 4}]}
    for method, path in WRITES:
        assert (await client.request(method, path, headers=origin(client), json={})).status == 403, path


async def test_admin_manages_skills_and_agents_proficiencies(client: Client, app_accounts: AccountService) -> None:
    root = await make_user(app_accounts, "root", Role.ADMIN)
    emma = await make_user(app_accounts, "emma")
    await login(client, "root")
    created = await client.post("/api/skills", headers=origin(client), json={"name": "French", "name_zh": "法语"})
    assert created.status == 201
    french = await created.json()
    assert (french["name"], french["name_zh"], french["agent_count"]) == ("French", "法语", 0)
    await client.post("/api/skills", headers=origin(client), json={"name": "Billing"})

    taken = await client.post("/api/skills", headers=origin(client), json={"name": "french"})
    assert taken.status == 409
    assert await taken.json() == {"error": {"code": "conflict", "message": "skill name taken", "fields": [
        {"loc": ["body", "name"], "msg": "another skill has this name"}]}}
    blank = await client.post("/api/skills", headers=origin(client), json={"name": "  "})
    assert blank.status == 422 and _locs(await blank.json()) == [["body", "name"]]
    empty = await client.post("/api/skills", headers=origin(client), json={"name": ""})
    assert empty.status == 422 and _locs(await empty.json()) == [["body", "name"]]

    page = await (await client.get("/api/skills?limit=1")).json()
    assert [s["name"] for s in page["items"]] == ["French"] and page["next_cursor"] == str(french["id"])
    rest = await (await client.get(f"/api/skills?limit=1&cursor={page['next_cursor']}")).json()
    assert [s["name"] for s in rest["items"]] == ["Billing"] and rest["next_cursor"] is None

    path = f"/api/agents/{emma.id}/skills"
    put = await client.put(path, headers=origin(client), json={"skills": [
        {"skill": "french", "proficiency": 4}, {"skill": french["id"] + 1, "proficiency": 2}]})
    assert put.status == 200
    assert [(s["skill"], s["proficiency"]) for s in (await put.json())["skills"]] == [("Billing", 2), ("French", 4)]
    unknown = await client.put(path, headers=origin(client), json={"skills": [
        {"skill": "French", "proficiency": 3}, {"skill": "Klingon", "proficiency": 2}]})
    assert unknown.status == 422 and _locs(await unknown.json()) == [["body", "skills", 1, "skill"]]
    too_good = await client.put(path, headers=origin(client), json={"skills": [{"skill": "French", "proficiency": 6}]})
    assert too_good.status == 422 and _locs(await too_good.json()) == [["body", "skills", 0, "proficiency"]]
    assert [s["skill"] for s in (await (await client.get(path)).json())["skills"]] == ["Billing", "French"]
    assert (await client.put(f"/api/agents/{root.id}/skills", headers=origin(client),
                             json={"skills": []})).status == 404
    cleared = await client.put(path, headers=origin(client), json={"skills": []})
    assert (await cleared.json())["skills"] == []

    renamed = await client.patch(f"/api/skills/{french['id']}", headers=origin(client), json={"name": "French (FR)"})
    assert renamed.status == 200 and (await renamed.json())["name"] == "French (FR)"
    assert (await client.delete(f"/api/skills/{french['id']}", headers=origin(client))).status == 200
    assert (await client.get(f"/api/skills/{french['id']}")).status == 404
    assert (await client.delete(f"/api/skills/{french['id']}", headers=origin(client))).status == 404


async def test_admin_manages_queues_with_checked_overflow(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    await client.app[QUEUES].create_skill(SYSTEM, "French")
    await login(client, "root")
    created = await client.post("/api/queues", headers=origin(client), json={
        "key": "sales", "name": "Sales", "name_zh": "销售", "ring_timeout_s": 25, "max_no_answer": None,
        "max_wait_s": 120, "overflow_action": "voicemail", "tier_bonus": {"A": 45},
        "skills": [{"skill": "French", "min_proficiency": 3}]})
    assert created.status == 201, await created.text()
    sales = await created.json()
    assert {k: sales[k] for k in ("key", "ring_timeout_s", "max_no_answer", "wrap_up_s", "max_wait_s",
                                  "overflow_action", "overflow_queue", "tier_bonus", "enabled")} == {
        "key": "sales", "ring_timeout_s": 25, "max_no_answer": None, "wrap_up_s": 60, "max_wait_s": 120,
        "overflow_action": "voicemail", "overflow_queue": None, "tier_bonus": {"A": 45, "B": 20, "C": 0},
        "enabled": True}
    assert sales["skills"] == [{"skill_id": 1, "skill": "French", "name_zh": None, "min_proficiency": 3}]
    support = await (await client.post("/api/queues", headers=origin(client), json={
        "key": "support", "name": "Support", "overflow_action": "queue", "overflow_queue": "sales"})).json()
    assert support["overflow_queue"] == "sales"

    for body, status, locs in (
        ({"key": "Sales", "name": "x"}, 422, [["body", "key"]]),
        ({"key": "voicemail", "name": "x"}, 422, [["body", "key"]]),
        ({"key": "sales", "name": "x"}, 409, [["body", "key"]]),
        ({"key": "x", "name": "x", "ring_timeout_s": 4}, 422, [["body", "ring_timeout_s"]]),
        ({"key": "x", "name": "x", "overflow_action": "queue"}, 422, [["body", "overflow_queue"]]),
        ({"key": "x", "name": "x", "skills": [{"skill": 99}]}, 422, [["body", "skills", 0, "skill"]]),
    ):
        refused = await client.post("/api/queues", headers=origin(client), json=body)
        assert (refused.status, _locs(await refused.json())) == (status, locs), body

    path = f"/api/queues/{sales['id']}"
    cycle = await client.patch(path, headers=origin(client), json={"overflow_action": "queue",
                                                                   "overflow_queue": "support"})
    assert cycle.status == 422
    assert (await cycle.json())["error"]["fields"] == [
        {"loc": ["body", "overflow_queue"], "msg": "calls would go round: sales → support → sales"}]
    key = await client.patch(path, headers=origin(client), json={"key": "other"})
    assert key.status == 422 and _locs(await key.json()) == [["body", "key"]]
    nulls = await client.patch(path, headers=origin(client), json={"name": None, "wrap_up_s": None})
    assert nulls.status == 422 and _locs(await nulls.json()) == [["body", "name"], ["body", "wrap_up_s"]]
    changed = await client.patch(path, headers=origin(client), json={"name_zh": None, "skills": None,
                                                                     "max_queue": 5})
    assert changed.status == 200
    assert {k: (await changed.json())[k] for k in ("name", "name_zh", "skills", "max_queue", "overflow_action")} == {
        "name": "Sales", "name_zh": None, "skills": [], "max_queue": 5, "overflow_action": "voicemail"}

    in_use = await client.delete(path, headers=origin(client))
    assert in_use.status == 409
    assert await in_use.json() == {"error": {
        "code": "conflict", "message": "queue sales is in use: these queues overflow into it: support",
        "fields": [{"loc": ["queues"], "msg": "these queues overflow into it: support"}]}}
    assert (await client.delete(f"/api/queues/{support['id']}", headers=origin(client))).status == 200
    assert (await client.delete(path, headers=origin(client))).status == 200
    assert (await (await client.get("/api/queues")).json())["items"] == []


async def test_admin_manages_dispositions(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    sales = await client.app[QUEUES].create_queue(SYSTEM, QueueSettings("sales", "Sales"))
    await login(client, "root")
    path = f"/api/queues/{sales.id}/dispositions"
    assert (await (await client.get(path)).json()) == {"items": []}
    created = await client.post(path, headers=origin(client), json={"code": "sale", "label": "Sale",
                                                                    "first_contact_resolved": True})
    assert created.status == 201
    sale = await created.json()
    assert (sale["position"], sale["enabled"], sale["first_contact_resolved"]) == (0, True, True)
    taken = await client.post(path, headers=origin(client), json={"code": "sale", "label": "Again"})
    assert taken.status == 409 and _locs(await taken.json()) == [["body", "code"]]
    bad = await client.post(path, headers=origin(client), json={"code": "Sale!", "label": ""})
    assert bad.status == 422 and _locs(await bad.json()) == [["body", "code"], ["body", "label"]]
    assert (await client.post("/api/queues/999/dispositions", headers=origin(client),
                              json={"code": "x", "label": "X"})).status == 404

    one = f"/api/dispositions/{sale['id']}"
    patched = await client.patch(one, headers=origin(client), json={"label_zh": "成交", "position": 3})
    assert patched.status == 200
    assert ((await patched.json())["label_zh"], (await patched.json())["position"]) == ("成交", 3)
    wrong = await client.patch(one, headers=origin(client), json={"queue_id": 2})
    assert wrong.status == 422 and _locs(await wrong.json()) == [["body", "queue_id"]]
    assert (await client.delete(one, headers=origin(client))).status == 200
    assert (await client.patch(one, headers=origin(client), json={"label": "x"})).status == 404
    assert (await (await client.get(path)).json()) == {"items": []}


def test_every_route_is_in_the_openapi_document(client: Client) -> None:
    paths = client.app[OPENAPI]["paths"]
    assert set(paths["/api/queues/{id}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/agents/{id}/skills"]) == {"get", "put"}
    assert paths["/api/agents/{id}/skills"]["put"]["x-policy"] == "admin"
    assert paths["/api/queues/{id}/dispositions"]["get"]["x-policy"] == "agent"
    assert {"/api/skills", "/api/skills/{id}", "/api/queues", "/api/dispositions/{id}"} <= set(paths)
