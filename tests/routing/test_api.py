"""Routing through the real application: the three PBX dialects asking, opening hours, the supervisor's board."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient

from callcenter.accounts.models import SYSTEM, Role
from callcenter.agents.models import DeviceKind
from callcenter.clock import FakeClock
from callcenter.customers.api import CUSTOMERS
from callcenter.customers.models import CustomerDraft, PhoneDraft
from callcenter.integrations.models import IntegrationKind
from callcenter.web.keys import ACCOUNTS, AGENTS, CLOCK, DATABASE, ROUTING
from tests.factories import login, make_user, origin
from tests.telephony.test_api import ACCOUNT, integration, signed

Client = TestClient[Any, Any]
DIALLED = "+861088880000"
CALLER = "+8613812345678"
BERLIN = ZoneInfo("Europe/Berlin")


async def setup(client: Client, *, calendar: bool = False) -> dict[str, Any]:
    """A queue ``support`` behind the dialled number (optionally with Berlin office hours), agent alice."""
    db = client.app[DATABASE]
    now = client.app[CLOCK].now_ms()
    async with db.transaction() as conn:
        queue_id = await conn.fetchval("INSERT INTO queues (key, name, ring_timeout_s, created_at, updated_at)"
                                       " VALUES ('support', 'Support', 20, ?, ?) RETURNING id", (now, now))
        calendar_id = None
        if calendar:
            calendar_id = await conn.fetchval(
                "INSERT INTO calendars (name, timezone, holiday_country, created_at, updated_at)"
                " VALUES ('Berlin office', 'Europe/Berlin', 'DE', ?, ?) RETURNING id", (now, now))
            for weekday in range(5):
                await conn.execute("INSERT INTO calendar_slots (calendar_id, weekday, start_s, end_s)"
                                   " VALUES (?, ?, ?, ?)", (calendar_id, weekday, 9 * 3600, 17 * 3600))
        await conn.execute("INSERT INTO numbers (number, queue_id, region, calendar_id, closed_action, created_at,"
                           " updated_at) VALUES (?, ?, 'CN', ?, 'voicemail', ?, ?)",
                           (DIALLED, queue_id, calendar_id, now, now))
    alice = await make_user(client.app[ACCOUNTS], "alice")
    await client.app[AGENTS].add_device(SYSTEM, alice.id, DeviceKind.EXTENSION, "1001")
    await client.app[AGENTS].add_device(SYSTEM, alice.id, DeviceKind.TWILIO_CLIENT, "alice-phone")
    await client.app[ROUTING].config_changed()
    return {"alice": alice, "queue_id": queue_id}


def event(kind: str, call_id: str = "c1", **extra: Any) -> dict[str, Any]:
    return {"event": kind, "call_id": call_id, "direction": "inbound", "from": CALLER, "to": DIALLED, **extra}


async def test_a_pbx_asking_gets_an_agent_or_waits_and_asks_again(client: Client) -> None:
    token = await integration(client, IntegrationKind.GENERIC)
    world = await setup(client)
    headers = {"Authorization": f"Bearer {token}"}
    asked = await (await client.post("/api/telephony/events", json=event("ringing", route=True),
                                      headers=headers)).json()
    assert (asked["action"], asked["retry_after_s"], asked["agent"]) == ("queue", 5, None)
    assert asked["route"]["rule"] == "no_agent_free" and asked["route"]["queue"] == "support"

    cookie = await login(client, "alice")
    response = await client.post("/api/me/presence", json={"presence": "available"},
                                 headers={**origin(client), "Cookie": f"cc_session={cookie}"})
    assert response.status == 200 and (await response.json())["work"] == "ringing"  # offered the waiting call

    again = await (await client.post("/api/telephony/events", json=event("ringing", route=True, at=None),
                                     headers=headers)).json()
    assert (again["action"], again["agent"]) == ("dial", "alice")
    assert again["route"]["devices"] == {"extension": "1001", "twilio_client": "alice-phone"}
    assert again["route"]["agent_id"] == world["alice"].id and again["route"]["ring_timeout_s"] == 20

    unknown = await (await client.post("/api/telephony/events", json={**event("ringing", "c2", route=True),
                                                                      "to": "+861099990000", "queue": "nope"},
                                       headers=headers)).json()
    assert (unknown["action"], unknown["route"]["rule"]) == ("reject", "unknown_queue")


async def test_closed_hours_follow_the_calendar_across_dst_and_a_holiday(client: Client) -> None:
    token = await integration(client, IntegrationKind.GENERIC)
    await setup(client, calendar=True)
    clock: FakeClock = client.app[CLOCK]
    headers = {"Authorization": f"Bearer {token}"}

    async def ask(call: str, when: datetime) -> dict[str, Any]:
        clock.set(when)
        return dict(await (await client.post("/api/telephony/events", json=event("ringing", call, route=True),
                                              headers=headers)).json())

    # Friday 27 March 2026, 16:30 in Berlin (CET): open. Monday 30 March 08:30 (CEST, after the change): closed.
    assert (await ask("a", datetime(2026, 3, 27, 16, 30, tzinfo=BERLIN)))["action"] == "queue"
    early = await ask("b", datetime(2026, 3, 30, 8, 30, tzinfo=BERLIN))
    assert (early["action"], early["target"], early["route"]["rule"]) == ("closed", "voicemail", "closed_hours")
    assert (await ask("c", datetime(2026, 3, 30, 9, 30, tzinfo=BERLIN)))["action"] == "queue"
    # Good Friday, 3 April 2026, is a public holiday in Germany: closed at noon.
    assert (await ask("d", datetime(2026, 4, 3, 12, 0, tzinfo=BERLIN)))["action"] == "closed"


async def test_zammad_new_call_is_answered_with_the_agents_extension(client: Client) -> None:
    token = await integration(client, IntegrationKind.ZAMMAD)
    world = await setup(client)
    await client.app[ROUTING].set_presence(world["alice"].id, "available", None)  # type: ignore[arg-type]
    new_call = {"event": "newCall", "from": "8613812345678", "to": "861088880000", "direction": "in",
                "callId": "z1", "user": []}
    answer = await (await client.post(f"/api/v1/cti/{token}", json=new_call)).json()
    assert answer == {"action": "dial", "caller_id": "8613812345678", "number": "1001"}
    elsewhere = {**new_call, "callId": "z2", "to": "4930123456"}
    assert await (await client.post(f"/api/v1/cti/{token}", json=elsewhere)).json() == {}


async def twilio_post(client: Client, path: str, params: dict[str, str]) -> str:
    body, headers = signed(path, params)
    response = await client.post(path, data=body, headers=headers)
    assert response.status == 200 and response.content_type == "text/xml"
    return await response.text()


async def test_twilio_enqueue_leave_dial_and_back_to_the_queue(client: Client) -> None:
    await integration(client, IntegrationKind.TWILIO)
    world = await setup(client)
    alice = world["alice"]
    call = {"CallSid": "CA" + "e" * 32, "AccountSid": ACCOUNT, "From": CALLER, "To": DIALLED,
            "Direction": "inbound", "ApiVersion": "2010-04-01"}
    voice = await twilio_post(client, "/api/telephony/twilio/voice", {**call, "CallStatus": "ringing"})
    assert "<Enqueue" in voice and "support</Enqueue>" in voice and "/api/telephony/twilio/wait" in voice
    waiting = {**call, "QueueSid": "QU" + "2" * 32, "QueuePosition": "1", "QueueTime": "3", "CurrentQueueSize": "1"}
    assert "<Pause" in await twilio_post(client, "/api/telephony/twilio/wait", waiting)

    await client.app[ROUTING].set_presence(alice.id, "available", None)  # type: ignore[arg-type]
    assert "<Leave" in await twilio_post(client, "/api/telephony/twilio/wait", waiting)
    dial = await twilio_post(client, "/api/telephony/twilio/dequeued", {**call, "QueueResult": "leave"})
    assert "<Dial" in dial and "alice-phone</Client>" in dial and 'timeout="20"' in dial
    assert f"/api/telephony/twilio/dialed?agent={alice.id}" in dial

    state = await client.app[ROUTING].agent_state(alice.id)
    assert state["work"] == "ringing"
    back = await twilio_post(client, f"/api/telephony/twilio/dialed?agent={alice.id}",
                             {**call, "DialCallStatus": "no-answer"})
    assert "<Enqueue" in back  # nobody else: the caller waits again
    assert (await client.app[ROUTING].agent_state(alice.id))["work"] == "idle"
    decisions = await client.app[ROUTING].board.decisions(10)
    assert decisions[0]["excluded"] == [{"user_id": alice.id, "reason": "already_missed"}]


async def test_supervisors_see_the_board_masked_and_change_states_audited(client: Client) -> None:
    world = await setup(client)
    token = await integration(client, IntegrationKind.GENERIC)
    await client.post("/api/telephony/events", json=event("ringing", route=True),
                      headers={"Authorization": f"Bearer {token}"})
    await make_user(client.app[ACCOUNTS], "sam", Role.SUPERVISOR)
    agent_cookie = await login(client, "alice")
    denied = await client.get("/api/supervisor/live", headers={"Cookie": f"cc_session={agent_cookie}"})
    assert denied.status == 403
    cookie = await login(client, "sam")
    board = await client.get("/api/supervisor/live", headers={"Cookie": f"cc_session={cookie}"})
    text = await board.text()
    assert board.status == 200 and CALLER not in text and CALLER[3:] not in text
    body = await board.json()
    assert body["waiting"][0]["queue"] == "support" and body["waiting"][0]["number_masked"].endswith("5678")

    changed = await client.post(f"/api/agents/{world['alice'].id}/presence",
                                json={"presence": "away", "reason": "meeting"},
                                headers={**origin(client), "Cookie": f"cc_session={cookie}"})
    assert changed.status == 200 and (await changed.json())["reason"] == "meeting"
    bad = await client.post(f"/api/agents/{world['alice'].id}/presence", json={"presence": "away", "reason": "nap"},
                            headers={**origin(client), "Cookie": f"cc_session={cookie}"})
    assert bad.status == 422 and (await bad.json())["error"]["fields"][0]["loc"][-1] == "reason"
    action = await client.app[DATABASE].fetchval(
        "SELECT action FROM audit_log WHERE target_id = ? ORDER BY id DESC LIMIT 1", (str(world["alice"].id),))
    assert action == "agent.presence"


async def test_callers_of_a_number_are_matched_in_that_numbers_region(client: Client) -> None:
    token = await integration(client, IntegrationKind.GENERIC)  # the integration's region is CN
    await setup(client)
    now = client.app[CLOCK].now_ms()
    async with client.app[DATABASE].transaction() as conn:
        queue_id = await conn.fetchval("SELECT id FROM queues WHERE key = 'support'")
        await conn.execute("INSERT INTO numbers (number, queue_id, region, created_at, updated_at)"
                           " VALUES ('+442079460000', ?, 'GB', ?, ?)", (queue_id, now, now))
    oliver = await client.app[CUSTOMERS].create(SYSTEM, CustomerDraft(name="Oliver Smith",
                                                                     phones=(PhoneDraft("+44 20 7946 0958"),)))
    headers = {"Authorization": f"Bearer {token}"}
    uk = {**event("ringing", "uk1"), "from": "020 7946 0958", "to": "+442079460000"}
    ack = await (await client.post("/api/telephony/events", json=uk, headers=headers)).json()
    row = await client.app[DATABASE].fetchone("SELECT customer_id FROM calls WHERE id = ?", (ack["call_id"],))
    assert row is not None and row["customer_id"] == oliver.id
    cn = {**event("ringing", "cn1"), "from": "020 7946 0958"}  # dialled the Beijing line: read as a CN number
    ack = await (await client.post("/api/telephony/events", json=cn, headers=headers)).json()
    row = await client.app[DATABASE].fetchone("SELECT customer_id FROM calls WHERE id = ?", (ack["call_id"],))
    assert row is not None and row["customer_id"] is None
