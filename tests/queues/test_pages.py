"""The skills and queues admin pages: forms with CSRF tokens that create, change and remove, errors in words."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from callcenter.accounts.models import SYSTEM, Role
from callcenter.accounts.service import AccountService
from callcenter.queues.api import QUEUES
from callcenter.queues.models import OverflowAction, QueueSettings
from tests.factories import login, make_user

Client = TestClient[Any, Any]


async def _post(client: Client, path: str, data: dict[str, str], csrf: str) -> Any:
    return await client.post(path, data={**data, "_csrf": csrf}, allow_redirects=False)


async def test_only_admins_see_the_pages(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "lina", Role.SUPERVISOR)
    await login(client, "lina")
    for path in ("/admin/skills", "/admin/queues", "/admin/queues/1"):
        response = await client.get(path, headers={"Accept": "application/json"})
        assert response.status == 403, path


async def test_skills_page_adds_renames_deletes_and_sets_proficiencies(client: Client,
                                                                      app_accounts: AccountService) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    emma = await make_user(app_accounts, "emma", display_name="Emma Wilson")
    csrf = await login(client, "root")
    queues = client.app[QUEUES]
    page = await (await client.get("/admin/skills")).text()
    assert 'href="/admin/skills" aria-current="page"' in page and "No skills yet." in page
    assert "Emma Wilson" in page and "Add a skill first." in page

    refused = await client.post("/admin/skills", data={"name": "French", "_csrf": "nope"}, allow_redirects=False,
                                headers={"Referer": f"http://{client.host}:{client.port}/admin/skills"})
    assert refused.status == 303 and refused.headers["Location"] == "/admin/skills?error=csrf"
    assert await queues.all_skills() == []

    created = await _post(client, "/admin/skills", {"name": "French", "name_zh": "法语"}, csrf)
    assert created.headers["Location"] == "/admin/skills?notice=created"
    await _post(client, "/admin/skills", {"name": "Billing", "name_zh": ""}, csrf)
    billing, french = await queues.all_skills()
    taken = await _post(client, "/admin/skills", {"name": "french"}, csrf)
    assert taken.status == 409 and "Another skill already has that name." in await taken.text()

    saved = await _post(client, f"/admin/agents/{emma.id}/skills",
                        {f"skill-{french.id}": "4", f"skill-{billing.id}": ""}, csrf)
    assert saved.headers["Location"] == "/admin/skills?notice=agent_saved"
    assert [(s.name, s.level) for s in (await queues.agent(emma.id)).skills] == [("French", 4)]
    listing = await (await client.get("/admin/skills?notice=agent_saved")).text()
    assert "Agent&#39;s skills saved." in listing and "French: level 4" in listing
    assert re.search(rf'name="skill-{french.id}" class="select">.*?<option value="4" selected>', listing, re.S)
    bad_level = await _post(client, f"/admin/agents/{emma.id}/skills", {f"skill-{french.id}": "9"}, csrf)
    assert bad_level.status == 422 and "a level is not 1 to 5" in await bad_level.text()

    renamed = await _post(client, f"/admin/skills/{french.id}", {"name": "French (FR)", "name_zh": "法语"}, csrf)
    assert renamed.headers["Location"] == "/admin/skills?notice=renamed"
    blank = await _post(client, f"/admin/skills/{french.id}", {"name": " ", "name_zh": ""}, csrf)
    assert blank.status == 422 and "The name must be 1–80 characters." in await blank.text()
    deleted = await _post(client, f"/admin/skills/{french.id}/delete", {}, csrf)
    assert deleted.headers["Location"] == "/admin/skills?notice=deleted"
    assert (await queues.agent(emma.id)).skills == ()
    gone = await _post(client, f"/admin/skills/{french.id}/delete", {}, csrf)
    assert gone.status == 404 and "That skill or agent no longer exists." in await gone.text()


async def test_queue_pages_create_configure_and_delete_a_queue(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    csrf = await login(client, "root")
    queues = client.app[QUEUES]
    french = await queues.create_skill(SYSTEM, "French")
    support = await queues.create_queue(SYSTEM, QueueSettings("support", "Support"))
    assert 'href="/admin/queues" aria-current="page"' in await (await client.get("/admin/queues")).text()

    bad_key = await _post(client, "/admin/queues", {"key": "Sales!", "name": "Sales"}, csrf)
    assert bad_key.status == 422 and "The key must be 1–40 lower-case letters" in await bad_key.text()
    created = await _post(client, "/admin/queues", {"key": "sales", "name": "Sales", "name_zh": "销售"}, csrf)
    [sales] = [q for q in await queues.all_queues() if q.key == "sales"]
    assert created.headers["Location"] == f"/admin/queues/{sales.id}?notice=created"
    page = await (await client.get(created.headers["Location"])).text()
    assert "Queue added. Now choose its skills and dispositions." in page and "No dispositions yet" in page
    assert '<option value="support">support · Support</option>' in page

    settings = {"name": "Sales EU", "name_zh": "", "ring_timeout_s": "30", "max_no_answer": "", "wrap_up_s": "45",
                "service_level_s": "15", "max_wait_s": "90", "max_queue": "", "overflow_action": "queue",
                "overflow_queue": "support", "tier_A": "80", "tier_B": "20", "tier_C": "0", "enabled": "on"}
    saved = await _post(client, f"/admin/queues/{sales.id}", settings, csrf)
    assert saved.headers["Location"] == f"/admin/queues/{sales.id}?notice=saved"
    stored = await queues.get_queue(sales.id)
    assert (stored.name, stored.name_zh, stored.ring_timeout_s, stored.max_no_answer, stored.wrap_up_s,
            stored.max_wait_s, stored.overflow_action, stored.overflow_queue, stored.tier_bonus, stored.enabled) == (
        "Sales EU", None, 30, None, 45, 90, OverflowAction.QUEUE, "support", {"A": 80, "B": 20, "C": 0}, True)
    wrong = await _post(client, f"/admin/queues/{sales.id}", {**settings, "ring_timeout_s": "soon"}, csrf)
    assert wrong.status == 422 and "The ring time must be a whole number of seconds" in await wrong.text()
    cycle = await _post(client, f"/admin/queues/{support.id}",
                        {**settings, "name": "Support", "overflow_queue": "sales"}, csrf)
    assert cycle.status == 422 and "cannot go round back to this one" in await cycle.text()

    wanted = await _post(client, f"/admin/queues/{sales.id}/skills", {f"skill-{french.id}": "3"}, csrf)
    assert wanted.headers["Location"] == f"/admin/queues/{sales.id}?notice=skills_saved"
    assert [(s.name, s.level) for s in (await queues.get_queue(sales.id)).skills] == [("French", 3)]

    added = await _post(client, f"/admin/queues/{sales.id}/dispositions",
                        {"code": "sale", "label": "Sale", "label_zh": "成交", "position": "",
                         "first_contact_resolved": "on", "enabled": "on"}, csrf)
    assert added.headers["Location"] == f"/admin/queues/{sales.id}?notice=disposition_added"
    [sale] = await queues.dispositions(sales.id)
    assert (sale.code, sale.label_zh, sale.first_contact_resolved, sale.enabled) == ("sale", "成交", True, True)
    twice = await _post(client, f"/admin/queues/{sales.id}/dispositions", {"code": "sale", "label": "Sale"}, csrf)
    assert twice.status == 409 and "already has a disposition with that code" in await twice.text()
    edited = await _post(client, f"/admin/queues/{sales.id}/dispositions/{sale.id}",
                         {"code": "sold", "label": "Sold", "label_zh": "", "position": "2"}, csrf)
    assert edited.headers["Location"] == f"/admin/queues/{sales.id}?notice=disposition_saved"
    sold = await queues.get_disposition(sale.id)
    assert (sold.code, sold.label_zh, sold.position, sold.first_contact_resolved, sold.enabled) == (
        "sold", None, 2, False, False)
    elsewhere = await _post(client, f"/admin/queues/{support.id}/dispositions/{sale.id}/delete", {}, csrf)
    assert elsewhere.status == 404
    removed = await _post(client, f"/admin/queues/{sales.id}/dispositions/{sale.id}/delete", {}, csrf)
    assert removed.headers["Location"] == f"/admin/queues/{sales.id}?notice=disposition_removed"
    assert await queues.dispositions(sales.id) == []

    in_use = await _post(client, f"/admin/queues/{support.id}/delete", {}, csrf)
    assert in_use.status == 409 and "This queue is still in use by sales." in await in_use.text()
    deleted = await _post(client, f"/admin/queues/{sales.id}/delete", {}, csrf)
    assert deleted.headers["Location"] == "/admin/queues?notice=deleted"
    assert [q.key for q in await queues.all_queues()] == ["support"]
