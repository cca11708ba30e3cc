"""The numbers API and admin page: agents read, admins change; errors name the body field or the form field."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from callcenter.accounts.models import SYSTEM, Role
from callcenter.accounts.service import AccountService
from callcenter.calendars.api import CALENDARS
from callcenter.calendars.models import Calendar
from callcenter.numbers.api import NUMBERS
from callcenter.numbers.models import NumberDraft
from callcenter.web.keys import DATABASE
from tests.factories import login, make_user, origin
from tests.numbers.conftest import add_queue
from tests.web.test_pseudo_locale import ALLOWED, untranslated

Client = TestClient[Any, Any]


def _locs(body: dict[str, Any]) -> list[list[str | int]]:
    return [f["loc"] for f in body["error"]["fields"]]


async def test_agents_read_but_only_admins_change(client: Client, app_accounts: AccountService) -> None:
    assert (await client.get("/api/numbers")).status == 401
    await make_user(app_accounts, "emma")
    await add_queue(client.app[DATABASE], "support")
    created = await client.app[NUMBERS].create(SYSTEM, NumberDraft("+44 20 7946 0958", "support"))
    await login(client, "emma")
    listed = await client.get("/api/numbers")
    assert listed.status == 200
    assert [(n["number"], n["queue"]) for n in (await listed.json())["items"]] == [("+442079460958", "support")]
    assert (await client.get(f"/api/numbers/{created.id}")).status == 200
    for method, path in (("POST", "/api/numbers"), ("PATCH", f"/api/numbers/{created.id}"),
                         ("DELETE", f"/api/numbers/{created.id}"), ("GET", "/admin/numbers")):
        response = await client.request(method, path, json={"number": "+442079460001", "queue": "support"},
                                        headers={**origin(client), "Accept": "application/json"})
        assert response.status == 403, path
    assert await client.app[NUMBERS].get(created.id) == created


async def test_admin_crud_over_the_api(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    await login(client, "root")
    await add_queue(client.app[DATABASE], "support", "Support")
    hours = await client.app[CALENDARS].create(SYSTEM, Calendar(0, "Office", "Asia/Shanghai"))
    created = await client.post("/api/numbers", headers=origin(client), json={
        "number": "(010) 6552 9988", "region": "cn", "label": "Beijing", "queue": "support",
        "calendar": hours.calendar.id, "closed_action": "voicemail", "closed_message": "请留言。"})
    assert created.status == 201, await created.text()
    body = await created.json()
    assert {k: v for k, v in body.items() if k not in ("id", "created_at", "updated_at")} == {
        "number": "+861065529988", "label": "Beijing", "queue": "support", "queue_name": "Support", "region": "CN",
        "calendar": hours.calendar.id, "calendar_name": "Office", "closed_action": "voicemail",
        "closed_message": "请留言。"}
    path = f"/api/numbers/{body['id']}"
    assert await (await client.get(path)).json() == body

    # Without a region the server's default (CN) reads the national form.
    plain = await client.post("/api/numbers", headers=origin(client), json={"number": "138 0013 8000",
                                                                             "queue": "support"})
    assert plain.status == 201
    assert ((await plain.json())["number"], (await plain.json())["region"]) == ("+8613800138000", "CN")

    patched = await client.patch(path, headers=origin(client), json={"calendar": None, "label": None})
    assert patched.status == 200
    after = await patched.json()
    assert (after["calendar"], after["calendar_name"], after["label"], after["closed_action"]) == (
        None, None, None, "voicemail")
    deleted = await client.delete(path, headers=origin(client))
    assert deleted.status == 200 and await deleted.json() == {"ok": True}
    assert (await client.get(path)).status == 404
    assert (await client.delete(path, headers=origin(client))).status == 404


async def test_api_errors_name_the_body_field(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    await login(client, "root")
    await add_queue(client.app[DATABASE], "support")
    good = {"number": "020 7946 0958", "region": "GB", "queue": "support"}
    cases: list[tuple[dict[str, Any], int, list[Any]]] = [
        ({**good, "number": "0207"}, 422, ["body", "number"]),
        ({**good, "number": ""}, 422, ["body", "number"]),
        ({**good, "region": "ZZ"}, 422, ["body", "region"]),
        ({**good, "region": "GBR"}, 422, ["body", "region"]),
        ({**good, "queue": "billing"}, 422, ["body", "queue"]),
        ({**good, "calendar": 7}, 422, ["body", "calendar"]),
        ({**good, "closed_action": "hang_up"}, 422, ["body", "closed_action"]),
        ({**good, "closed_message": "x" * 501}, 422, ["body", "closed_message"]),
        ({"number": "020 7946 0958", "region": "GB"}, 422, ["body", "queue"]),
    ]
    for body, status, loc in cases:
        response = await client.post("/api/numbers", headers=origin(client), json=body)
        assert response.status == status, (loc, await response.text())
        assert _locs(await response.json()) == [loc]
    first = await client.post("/api/numbers", headers=origin(client), json=good)
    assert first.status == 201
    twice = await client.post("/api/numbers", headers=origin(client), json={**good, "number": "+44 20 7946 0958"})
    assert twice.status == 409 and _locs(await twice.json()) == [["body", "number"]]
    path = f"/api/numbers/{(await first.json())['id']}"
    for body, loc in (({"number": None}, ["body", "number"]), ({"queue": "billing"}, ["body", "queue"]),
                      ({"number": "12"}, ["body", "number"])):
        response = await client.patch(path, headers=origin(client), json=body)
        assert response.status == 422 and _locs(await response.json()) == [loc], body
    assert (await (await client.get(path)).json())["number"] == "+442079460958"


async def test_admin_page_creates_edits_and_deletes(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "root", Role.ADMIN)
    csrf = await login(client, "root")
    numbers = client.app[NUMBERS]
    empty = await (await client.get("/admin/numbers")).text()
    assert 'href="/admin/numbers" aria-current="page"' in empty
    assert "There are no queues yet." in empty and 'id="create-number"' not in empty

    await add_queue(client.app[DATABASE], "support", "Support")
    await add_queue(client.app[DATABASE], "sales", "Sales")
    hours = await client.app[CALENDARS].create(SYSTEM, Calendar(0, "Office", "Asia/Shanghai"))
    page = await (await client.get("/admin/numbers")).text()
    assert 'id="create-number"' in page and 'name="region" type="text"' in page and 'value="CN"' in page
    assert f'<option value="{hours.calendar.id}" translate="no">Office</option>' in page

    created = await client.post("/admin/numbers", allow_redirects=False, data={
        "number": "010 6552 9988", "region": "CN", "label": "Beijing", "queue": "sales",
        "calendar": str(hours.calendar.id), "closed_action": "callback", "closed_message": "", "_csrf": csrf})
    assert created.status == 303 and created.headers["Location"] == "/admin/numbers?notice=created"
    [number] = await numbers.list_numbers()
    assert (number.number, number.queue_key, number.calendar_id, number.closed_action.value) == (
        "+861065529988", "sales", hours.calendar.id, "callback")
    listing = await (await client.get("/admin/numbers?notice=created")).text()
    assert "Number added." in listing and "+861065529988" in listing and "Offer a callback" in listing
    assert f'href="/admin/calendars/{hours.calendar.id}"' in listing

    bad = await client.post("/admin/numbers", data={"number": "12", "region": "CN", "queue": "sales",
                                                    "calendar": "", "closed_action": "reject", "_csrf": csrf})
    text = await bad.text()
    assert bad.status == 422 and "That is not a phone number in the region given." in text
    assert re.search(r'id="new-number"[^>]*aria-invalid="true"', text) and 'value="12"' in text
    twice = await client.post("/admin/numbers", data={"number": "+861065529988", "queue": "sales",
                                                      "closed_action": "reject", "_csrf": csrf})
    assert twice.status == 409 and "That number is already set up." in await twice.text()

    saved = await client.post(f"/admin/numbers/{number.id}", allow_redirects=False, data={
        "number": "+86 10 6552 9988", "region": "CN", "label": "", "queue": "support", "calendar": "",
        "closed_action": "reject", "closed_message": "下班了。", "_csrf": csrf})
    assert saved.headers["Location"] == "/admin/numbers?notice=saved"
    changed = await numbers.get(number.id)
    assert (changed.label, changed.queue_key, changed.calendar_id, changed.closed_message) == (
        None, "support", None, "下班了。")
    wrong = await client.post(f"/admin/numbers/{number.id}", data={
        "number": "+861065529988", "region": "CN", "queue": "support", "calendar": "x", "closed_action": "reject",
        "_csrf": csrf})
    wrong_text = await wrong.text()
    assert wrong.status == 422 and "Choose opening hours that exist." in wrong_text
    assert re.search(rf'id="n{number.id}-calendar"[^>]*aria-invalid="true"', wrong_text)

    deleted = await client.post(f"/admin/numbers/{number.id}/delete", data={"_csrf": csrf}, allow_redirects=False)
    assert deleted.headers["Location"] == "/admin/numbers?notice=deleted"
    assert await numbers.list_numbers() == []

    pseudo = await (await client.get("/admin/numbers?locale=pseudo")).text()
    await numbers.create(SYSTEM, NumberDraft("+442079460958", "support", "UK", "GB", hours.calendar.id,
                                             "voicemail", "Closed"))
    with_rows = await (await client.get("/admin/numbers?locale=pseudo")).text()
    assert untranslated(pseudo, ALLOWED | {"root"}) == [] and untranslated(with_rows, ALLOWED | {"root"}) == []
    assert "+442079460958" in with_rows and "⟦" in with_rows


async def test_both_lists_page_by_cursor(client: Client, app_accounts: AccountService) -> None:
    await make_user(app_accounts, "emma")
    await login(client, "emma")
    await add_queue(client.app[DATABASE], "support")
    for n in range(3):
        await client.app[CALENDARS].create(SYSTEM, Calendar(0, f"Hours {n}", "Europe/London"))
        await client.app[NUMBERS].create(SYSTEM, NumberDraft(f"020 7946 000{n}", "support", region="GB"))
    for path, key in (("/api/calendars", "name"), ("/api/numbers", "number")):
        first = await (await client.get(path, params={"limit": "2"})).json()
        assert first["next_cursor"] is not None and len(first["items"]) == 2
        rest = await (await client.get(path, params={"limit": "2", "cursor": first["next_cursor"]})).json()
        assert rest["next_cursor"] is None
        seen = [item[key] for item in first["items"] + rest["items"]]
        assert seen == (["Hours 0", "Hours 1", "Hours 2"] if key == "name"
                        else ["+442079460000", "+442079460001", "+442079460002"])
