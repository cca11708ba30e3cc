"""Agent devices: normalized and unique, chosen at login, and the resolver from a PBX's names to users."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callcenter.accounts.models import SYSTEM, Actor, Role
from callcenter.accounts.service import AccountService
from callcenter.agents.models import AgentDirectory, Device, DeviceKind, normalize_device
from callcenter.agents.service import DIRECTORY_MS, AgentService
from callcenter.clock import FakeClock
from callcenter.db import Database
from callcenter.errors import Conflict, Invalid, NotFound
from callcenter.web.keys import AGENTS
from tests.factories import RecordingNotifier, login, make_user, origin
from tests.web.test_pseudo_locale import ALLOWED, untranslated

EXT, SIP, CLIENT = DeviceKind.EXTENSION, DeviceKind.SIP, DeviceKind.TWILIO_CLIENT
Client = TestClient[Any, Any]


async def _switch(client: Client, username: str) -> str:
    client.session.cookie_jar.clear()
    return await login(client, username)


@pytest.fixture
def agents(db: Database, clock: FakeClock, notifier: RecordingNotifier) -> AgentService:
    return AgentService(db, clock, notifier)


@pytest.mark.parametrize(("kind", "raw", "stored"), [
    (EXT, " 10-01 ", "1001"),
    (EXT, "1001a", None),
    (EXT, "", None),
    (SIP, "SIP:Alice@PBX.Example.com:5060;transport=tcp", "sip:alice@pbx.example.com"),
    (SIP, '"Alice" <sips:alice@pbx.example.com>', "sip:alice@pbx.example.com"),
    (SIP, "alice@pbx.example.com", "sip:alice@pbx.example.com"),
    (SIP, "sip:alice", None),
    (SIP, "sip:al ice@pbx", None),
    (CLIENT, "client:Alice_01", "alice_01"),
    (CLIENT, "alice", "alice"),
    (CLIENT, "two words", None),
])
def test_device_values_are_normalized(kind: DeviceKind, raw: str, stored: str | None) -> None:
    assert normalize_device(kind, raw) == stored


async def test_add_list_remove_with_audit(agents: AgentService, accounts: AccountService, db: Database) -> None:
    admin = Actor.of(await make_user(accounts, "root", Role.ADMIN), "10.0.0.9")
    emma = await make_user(accounts, "emma")
    desk = await agents.add_device(admin, emma.id, EXT, "1001", " Desk 4 ")
    soft = await agents.add_device(admin, emma.id, SIP, "sip:Emma@PBX.example.com")
    assert (desk.value, desk.label, soft.value) == ("1001", "Desk 4", "sip:emma@pbx.example.com")
    assert await agents.devices(emma.id) == ([desk, soft], None)
    await agents.remove_device(admin, emma.id, desk.id)
    assert (await agents.devices(emma.id))[0] == [soft]
    with pytest.raises(NotFound):
        await agents.remove_device(admin, emma.id, desk.id)
    with pytest.raises(NotFound):
        await agents.devices(9999)
    rows = await db.fetchall("SELECT action, target_id, detail FROM audit_log WHERE action LIKE 'agent.device.%'"
                             " ORDER BY id")
    assert [(r["action"], r["target_id"]) for r in rows] == [
        ("agent.device.add", str(emma.id)), ("agent.device.add", str(emma.id)), ("agent.device.remove", str(emma.id))
    ]
    assert json.loads(rows[0]["detail"]) == {"device_id": desk.id, "kind": "extension", "value": "1001"}


async def test_a_device_belongs_to_one_agent(agents: AgentService, accounts: AccountService) -> None:
    emma = await make_user(accounts, "emma")
    liam = await make_user(accounts, "liam")
    await agents.add_device(SYSTEM, emma.id, CLIENT, "client:Emma")
    with pytest.raises(Conflict) as taken:
        await agents.add_device(SYSTEM, liam.id, CLIENT, "emma")
    assert taken.value.status == 409 and taken.value.fields[0].loc == ("value",)
    assert "another agent" in taken.value.fields[0].msg
    # The same value is fine as another kind of device.
    await agents.add_device(SYSTEM, liam.id, SIP, "emma@pbx")
    with pytest.raises(Invalid) as bad:
        await agents.add_device(SYSTEM, liam.id, EXT, "ext-one")
    assert bad.value.fields[0].loc == ("value",)
    with pytest.raises(NotFound):
        await agents.add_device(SYSTEM, 9999, EXT, "2002")


async def test_choose_device_for_hot_desks(agents: AgentService, accounts: AccountService) -> None:
    emma = await make_user(accounts, "emma")
    liam = await make_user(accounts, "liam")
    desk = await agents.add_device(SYSTEM, emma.id, EXT, "1001")
    other = await agents.add_device(SYSTEM, liam.id, EXT, "1002")
    assert await agents.choose_device(emma.id, desk.id) == desk
    assert (await agents.devices(emma.id))[1] == desk.id
    with pytest.raises(Invalid) as not_hers:
        await agents.choose_device(emma.id, other.id)
    assert not_hers.value.fields[0].loc == ("device_id",)
    assert (await agents.devices(emma.id))[1] == desk.id
    # Removing the chosen device clears the choice instead of leaving a dangling id.
    await agents.remove_device(SYSTEM, emma.id, desk.id)
    assert await agents.devices(emma.id) == ([], None)
    await agents.choose_device(liam.id, other.id)
    assert await agents.choose_device(liam.id, None) is None
    assert (await agents.devices(liam.id))[1] is None


async def test_resolver_maps_every_name_form_and_keeps_unmatched(
    agents: AgentService, accounts: AccountService
) -> None:
    emma = await make_user(accounts, "emma", display_name="Emma Taylor")
    wang = await make_user(accounts, "wangfang", display_name="王芳")
    chris = await make_user(accounts, "chris", display_name="Christopher Miller")
    await agents.add_device(SYSTEM, emma.id, EXT, "1001")
    await agents.add_device(SYSTEM, wang.id, SIP, "sip:wang@pbx.example.com")
    await agents.add_device(SYSTEM, chris.id, CLIENT, "Chris_M")
    names = ["emma", "client:chris_m", "Chris_M", "1001", "sip:WANG@pbx.example.com:5060", "<sip:wang@pbx.example.com>",
             "wang@pbx.example.com", "Emma Taylor", "emma  taylor", "王芳", "voicemail", "1009", "client:nobody", "",
             "Emma"]
    assert await agents.resolve_agents(names) == {
        "emma": emma.id, "client:chris_m": chris.id, "Chris_M": chris.id, "1001": emma.id,
        "sip:WANG@pbx.example.com:5060": wang.id, "<sip:wang@pbx.example.com>": wang.id,
        "wang@pbx.example.com": wang.id, "Emma Taylor": emma.id, "emma  taylor": emma.id, "王芳": wang.id,
        "voicemail": None, "1009": None, "client:nobody": None, "": None,
        # Usernames are exact: "Emma" is not the username "emma", and no one is displayed as "Emma".
        "Emma": None,
    }


async def test_resolver_refuses_to_guess_and_ignores_disabled_users(
    agents: AgentService, accounts: AccountService, clock: FakeClock
) -> None:
    one = await make_user(accounts, "lina1", display_name="Li Na")
    await make_user(accounts, "lina2", display_name="Li Na")
    gone = await make_user(accounts, "gone", display_name="Gone Agent")
    await agents.add_device(SYSTEM, gone.id, EXT, "3003")
    await accounts.update_user(SYSTEM, gone.id, disabled=True)
    assert await agents.resolve_agents(["Li Na", "lina1", "Gone Agent", "3003"]) == {
        "Li Na": None, "lina1": one.id, "Gone Agent": None, "3003": None,
    }


async def test_resolver_sees_device_changes_here_at_once_and_elsewhere_within_its_lifetime(
    agents: AgentService, accounts: AccountService, db: Database, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    emma = await make_user(accounts, "emma")
    other_node = AgentService(db, clock, notifier)
    assert await other_node.resolve_agents(["1001"]) == {"1001": None}
    await agents.add_device(SYSTEM, emma.id, EXT, "1001")
    assert await agents.resolve_agents(["1001"]) == {"1001": emma.id}
    assert await other_node.resolve_agents(["1001"]) == {"1001": None}
    clock.advance(DIRECTORY_MS / 1000)
    assert await other_node.resolve_agents(["1001"]) == {"1001": emma.id}


def test_directory_is_pure() -> None:
    directory = AgentDirectory.build([(1, "a", "Ann"), (2, "b", "Bob")], [Device(9, 2, EXT, "200", None, 0)])
    assert [directory.resolve(n) for n in ("a", "ann", "200", " 2-00 ", "Bob", "c")] == [1, 1, 2, 2, 2, None]


async def test_device_api_is_admin_only_and_conflicts_are_409(client: Client, app_accounts: AccountService) -> None:
    emma = await make_user(app_accounts, "emma")
    await make_user(app_accounts, "root", Role.ADMIN)
    await login(client, "emma")
    path = f"/api/agents/{emma.id}/devices"
    assert (await client.get(path)).status == 403
    refused = await client.post(path, headers=origin(client), json={"kind": "extension", "value": "1001"})
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "forbidden"
    assert (await client.delete(f"{path}/1", headers=origin(client))).status == 403

    await _switch(client, "root")
    created = await client.post(path, headers=origin(client), json={"kind": "extension", "value": "10 01",
                                                                     "label": "Desk"})
    assert created.status == 201
    device = await created.json()
    assert (device["value"], device["label"], device["user_id"]) == ("1001", "Desk", emma.id)
    duplicate = await client.post(path, headers=origin(client), json={"kind": "extension", "value": "1001"})
    assert duplicate.status == 409
    assert [f["loc"] for f in (await duplicate.json())["error"]["fields"]] == [["value"]]
    bad = await client.post(path, headers=origin(client), json={"kind": "fax", "value": "1"})
    assert bad.status == 422 and [f["loc"] for f in (await bad.json())["error"]["fields"]] == [["body", "kind"]]
    listed = await (await client.get(path)).json()
    assert listed == {"user_id": emma.id, "active_device_id": None, "items": [device]}

    await _switch(client, "emma")
    mine = await client.post("/api/me/device", headers=origin(client), json={"device_id": device["id"]})
    assert mine.status == 200 and (await mine.json())["active_device_id"] == device["id"]
    assert (await (await client.get("/api/me/device")).json())["active_device_id"] == device["id"]
    snapshot = await (await client.get("/api/console/snapshot")).json()
    assert snapshot["state"]["devices"]["active_device_id"] == device["id"]
    wrong = await client.post("/api/me/device", headers=origin(client), json={"device_id": device["id"] + 100})
    assert wrong.status == 422 and [f["loc"] for f in (await wrong.json())["error"]["fields"]] == [["device_id"]]

    await _switch(client, "root")
    removed = await client.delete(f"{path}/{device['id']}", headers=origin(client))
    assert removed.status == 200
    assert (await client.delete(f"{path}/{device['id']}", headers=origin(client))).status == 404


async def test_devices_admin_page(client: Client, app_accounts: AccountService) -> None:
    emma = await make_user(app_accounts, "emma", display_name="Emma Taylor")
    await make_user(app_accounts, "root", Role.ADMIN, display_name="Root Admin")
    csrf = await login(client, "root")
    added = await client.post(f"/admin/devices/{emma.id}", data={"kind": "sip", "value": "sip:Emma@pbx",
                                                                 "label": "", "_csrf": csrf}, allow_redirects=False)
    assert added.status == 303 and added.headers["Location"] == "/admin/devices?notice=added"
    page = await client.get("/admin/devices?notice=added&locale=pseudo")
    html = await page.text()
    assert page.status == 200 and "sip:emma@pbx" in html
    clash = await client.post(f"/admin/devices/{emma.id}?locale=pseudo", data={
        "kind": "sip", "value": "emma@pbx", "_csrf": csrf})
    assert clash.status == 409
    allowed = ALLOWED | {"Emma Taylor", "Root Admin"}
    assert untranslated(html, allowed) == [] and untranslated(await clash.text(), allowed) == []
    (device,), _ = await client.app[AGENTS].devices(emma.id)
    removed = await client.post(f"/admin/devices/{emma.id}/{device.id}/remove", data={"_csrf": csrf},
                                allow_redirects=False)
    assert removed.status == 303 and removed.headers["Location"] == "/admin/devices?notice=removed"
    assert await client.app[AGENTS].devices(emma.id) == ([], None)
    refused = await client.post(f"/admin/devices/{emma.id}", data={"kind": "sip", "value": "x@y", "_csrf": "no"},
                                allow_redirects=False)
    assert refused.status == 303 and refused.headers["Location"].endswith("?error=csrf")
