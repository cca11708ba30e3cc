"""The three webhook dialects through the real application, and the calls API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient
from twilio.request_validator import RequestValidator

from callcenter.accounts.models import SYSTEM, Role
from callcenter.customers.api import CUSTOMERS
from callcenter.customers.models import CustomerDraft, PhoneDraft
from callcenter.integrations.models import IntegrationKind
from callcenter.telephony.schemas import EventAck
from callcenter.web.keys import ACCOUNTS, INTEGRATIONS
from tests.factories import login, make_user, origin

Client = TestClient[Any, Any]
PUBLIC = "http://127.0.0.1:8080"
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT = "AC" + "1" * 32


async def integration(client: Client, kind: IntegrationKind, block: list[str] | None = None) -> str:
    _, token = await client.app[INTEGRATIONS].create(
        SYSTEM, kind, f"{kind} pbx", "CN", block or [],
        account_sid=ACCOUNT if kind is IntegrationKind.TWILIO else None,
        auth_token=AUTH_TOKEN if kind is IntegrationKind.TWILIO else None)
    return token or ""


def event(kind: str, call_id: str = "c1", **extra: Any) -> dict[str, Any]:
    return {"event": kind, "call_id": call_id, "direction": "inbound", "from": "+8613812345678",
            "to": "+861088880000", **extra}


async def test_generic_needs_a_token(client: Client) -> None:
    response = await client.post("/api/telephony/events", json=event("ringing"))
    assert response.status == 401
    response = await client.post("/api/telephony/events", json=event("ringing"),
                                 headers={"Authorization": "Bearer wrong"})
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "unauthorized"


async def test_generic_event_is_stored_and_acknowledged(client: Client) -> None:
    token = await integration(client, IntegrationKind.GENERIC)
    emma = await make_user(client.app[ACCOUNTS], "emma")
    await client.app[CUSTOMERS].create(SYSTEM, CustomerDraft(name="王芳", phones=(PhoneDraft("13812345678"),)))
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.post("/api/telephony/events", json=event("ringing", agents=["emma"]), headers=headers)
    assert response.status == 200
    body = await response.json()
    assert body["state"] == "ringing" and body["popped"] == [emma.id] and body["duplicate"] is False
    again = await (await client.post("/api/telephony/events", json=event("ringing", agents=["emma"]),
                                     headers=headers)).json()
    assert again["duplicate"] is True and again["call_id"] == body["call_id"] and again["popped"] == []


async def test_ack_matches_the_schema(client: Client) -> None:
    """The plain acknowledgement is encoded by hand for speed: it must stay the documented EventAck."""
    token = await integration(client, IntegrationKind.GENERIC)
    emma = await make_user(client.app[ACCOUNTS], "emma")
    response = await client.post("/api/telephony/events", json=event("ringing", agents=["emma"]),
                                  headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200 and response.content_type == "application/json"
    body = await response.json()
    assert set(body) == set(EventAck.model_fields)
    assert body == EventAck.model_validate(body).model_dump()
    assert body["ok"] is True and body["popped"] == [emma.id] and body["route"] is None


async def test_generic_bad_input_names_the_field(client: Client) -> None:
    headers = {"Authorization": f"Bearer {await integration(client, IntegrationKind.GENERIC)}"}
    for bad, field in ((event("ringing", at="yesterday"), "at"), ({**event("rang")}, "event"),
                       ({k: v for k, v in event("ringing").items() if k != "call_id"}, "call_id")):
        response = await client.post("/api/telephony/events", json=bad, headers=headers)
        assert response.status == 422
        assert (await response.json())["error"]["fields"][0]["loc"] == ["body", field]
    assert await client.app[ACCOUNTS].db.fetchval("SELECT COUNT(*) FROM call_events") == 0


async def test_generic_block_list_after_normalization(client: Client) -> None:
    token = await integration(client, IntegrationKind.GENERIC, block=["138 1234 5678"])
    response = await client.post("/api/telephony/events", json=event("ringing", **{"from": "0086-138-1234-5678"}),
                                 headers={"Authorization": f"Bearer {token}"})
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "blocked"


async def test_zammad_documented_payloads(client: Client) -> None:
    token = await integration(client, IntegrationKind.ZAMMAD)
    emma = await make_user(client.app[ACCOUNTS], "emma", display_name="Emma Taylor")
    url = f"/api/v1/cti/{token}"
    new_call = {"event": "newCall", "from": "493023125741", "to": "492214710334", "direction": "in",
                "callId": "307fa962-de8d-4ffc-817b-7f6993204159", "user": ["Christopher Miller", "Emma Taylor"]}
    response = await client.post(url, json=new_call)
    assert response.status == 200 and await response.json() == {}
    answer = {"event": "answer", "from": "493023125741", "to": "492214710334", "direction": "in",
              "callId": "307fa962-de8d-4ffc-817b-7f6993204159", "answeringNumber": "emma@chrispresso.com",
              "user": "Emma Taylor"}
    assert await (await client.post(url, json=answer)).json() == {}
    hangup = "event=hangup&direction=in&callId=307fa962-de8d-4ffc-817b-7f6993204159&cause=normalClearing"
    response = await client.post(url, data=hangup, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 200
    row = await client.app[ACCOUNTS].db.fetchone("SELECT state, agent_id, agents_rung FROM calls")
    assert row["state"] == "ended" and row["agent_id"] == emma.id
    assert "Christopher Miller" in row["agents_rung"]  # unmatched display name kept


async def test_zammad_errors_and_reject(client: Client) -> None:
    token = await integration(client, IntegrationKind.ZAMMAD, block=["+493023125741"])
    assert (await client.post("/api/v1/cti/wrong", json={})).status == 401
    bad = await client.post(f"/api/v1/cti/{token}", json={"event": "newCall", "direction": "sideways"})
    assert bad.status == 422 and await bad.json() == {"error": "Invalid direction!"}
    form = "event=newCall&direction=in&from=493023125741&to=4930600000000&callId=x-1&user%5B%5D=user+1"
    blocked = await client.post(f"/api/v1/cti/{token}", data=form,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert await blocked.json() == {"action": "reject", "reason": "busy"}


def signed(path: str, params: dict[str, str], token: str = AUTH_TOKEN) -> tuple[str, dict[str, str]]:
    signature = RequestValidator(token).compute_signature(PUBLIC + path, params)
    return urlencode(params), {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}


async def test_twilio_signature_is_checked(client: Client) -> None:
    await integration(client, IntegrationKind.TWILIO)
    params = {"CallSid": "CA" + "a" * 32, "AccountSid": ACCOUNT, "From": "+8613812345678", "To": "+861088880000",
              "CallStatus": "ringing", "Direction": "inbound", "ApiVersion": "2010-04-01"}
    body, headers = signed("/api/telephony/twilio/voice", params, token="f" * 32)
    assert (await client.post("/api/telephony/twilio/voice", data=body, headers=headers)).status == 403
    body, headers = signed("/api/telephony/twilio/voice", params)
    response = await client.post("/api/telephony/twilio/voice", data=body, headers=headers)
    assert response.status == 200 and response.content_type == "text/xml"
    assert "<Enqueue" in await response.text()
    status = {**params, "CallStatus": "completed", "CallbackSource": "call-progress-events", "SequenceNumber": "2"}
    body, headers = signed("/api/telephony/twilio/status", status)
    assert (await client.post("/api/telephony/twilio/status", data=body, headers=headers)).status == 204
    assert await client.app[ACCOUNTS].db.fetchval("SELECT state FROM calls") == "abandoned"


async def test_twilio_rejects_blocked_callers(client: Client) -> None:
    await client.app[INTEGRATIONS].create(SYSTEM, IntegrationKind.TWILIO, "tw", "CN", ["+8613812345678"],
                                          account_sid=ACCOUNT, auth_token=AUTH_TOKEN)
    params = {"CallSid": "CA" + "b" * 32, "AccountSid": ACCOUNT, "From": "+8613812345678", "To": "+861088880000",
              "CallStatus": "ringing", "Direction": "inbound"}
    body, headers = signed("/api/telephony/twilio/voice", params)
    response = await client.post("/api/telephony/twilio/voice", data=body, headers=headers)
    assert '<Reject reason="busy"' in await response.text()


async def test_calls_api_access_and_masking(client: Client) -> None:
    token = await integration(client, IntegrationKind.GENERIC)
    accounts = client.app[ACCOUNTS]
    await make_user(accounts, "emma")
    await make_user(accounts, "james")
    await make_user(accounts, "lina", Role.SUPERVISOR)
    headers = {"Authorization": f"Bearer {token}"}
    call_id = (await (await client.post("/api/telephony/events", json=event("ringing", agents=["emma"]),
                                        headers=headers)).json())["call_id"]
    await login(client, "james")
    assert (await client.get(f"/api/calls/{call_id}")).status == 404
    await login(client, "emma")
    mine = await (await client.get(f"/api/calls/{call_id}")).json()
    assert mine["number"] == "+8613812345678"
    noted = await client.patch(f"/api/calls/{call_id}", json={"notes": "called about order 77"},
                               headers=origin(client))
    assert (await noted.json())["notes"] == "called about order 77"
    await login(client, "lina")
    listed = await (await client.get("/api/calls")).json()
    assert "number" not in listed["items"][0] and listed["items"][0]["number_masked"] == "+86 138 **** 5678"
    full = await (await client.get(f"/api/calls/{call_id}")).json()
    assert full["number"] == "+8613812345678"
    audit = await accounts.db.fetchone("SELECT action, target_id FROM audit_log WHERE action = 'call.reveal_number'")
    assert audit == {"action": "call.reveal_number", "target_id": str(call_id)}


async def test_quick_create_from_the_new_caller_card(client: Client) -> None:
    token = await integration(client, IntegrationKind.GENERIC)
    await make_user(client.app[ACCOUNTS], "emma")
    headers = {"Authorization": f"Bearer {token}"}
    call_id = (await (await client.post("/api/telephony/events", json=event("ringing", agents=["emma"]),
                                        headers=headers)).json())["call_id"]
    await login(client, "emma")
    bad = await client.post(f"/api/calls/{call_id}/customer/new", json={"name": ""}, headers=origin(client))
    assert bad.status == 422 and (await bad.json())["error"]["fields"][0]["loc"] == ["body", "name"]
    made = await client.post(f"/api/calls/{call_id}/customer/new", headers=origin(client),
                             json={"name": "陈静", "language": "zh-Hans", "company": "Acme"})
    assert made.status == 201
    body = await made.json()
    assert body["customer"]["name"] == "陈静" and body["call"]["customer_id"] == body["customer"]["id"]
    assert body["customer"]["phones"][0]["e164"] == "+8613812345678"
    assert body["match"]["kind"] == "created"


async def test_twilio_wait_and_dequeued_answer_twiml(client: Client) -> None:
    await integration(client, IntegrationKind.TWILIO)
    params = {"CallSid": "CA" + "c" * 32, "AccountSid": ACCOUNT, "QueueSid": "QU" + "1" * 32,
              "QueuePosition": "1", "QueueTime": "12", "AvgQueueTime": "10", "CurrentQueueSize": "1"}
    body, headers = signed("/api/telephony/twilio/wait", params)
    wait = await client.post("/api/telephony/twilio/wait", data=body, headers=headers)
    assert wait.status == 200 and "<Say" in await wait.text() and "<Pause" in await wait.text()
    left = {**params, "QueueResult": "hangup"}
    body, headers = signed("/api/telephony/twilio/dequeued", left)
    done = await client.post("/api/telephony/twilio/dequeued", data=body, headers=headers)
    assert done.status == 200 and "<Response" in await done.text()
    body, headers = signed("/api/telephony/twilio/wait", params, token="e" * 32)
    assert (await client.post("/api/telephony/twilio/wait", data=body, headers=headers)).status == 403


async def test_api_reference_page_sends_a_browser_to_login(client: Client) -> None:
    response = await client.get("/api/docs", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")


async def test_reload_while_ringing_gets_the_whole_pop_back(client: Client) -> None:
    token = await integration(client, IntegrationKind.GENERIC)
    await make_user(client.app[ACCOUNTS], "emma")
    wang = await client.app[CUSTOMERS].create(SYSTEM, CustomerDraft(name="王芳", phones=(PhoneDraft("13812345678"),)))
    headers = {"Authorization": f"Bearer {token}"}
    for call_id, kind in (("old", "ringing"), ("old", "ended"), ("now", "ringing")):
        await client.post("/api/telephony/events", json=event(kind, call_id, agents=["emma"]), headers=headers)
    await login(client, "emma")
    snapshot = await (await client.get("/api/console/snapshot")).json()
    [live] = snapshot["state"]["calls"]["live"]
    assert live["call"]["external_id"] == "now" and live["customer"]["id"] == wang.id
    assert [h["state"] for h in live["history"]] == ["abandoned"]
    assert [c["customer_name"] for c in snapshot["state"]["calls"]["recent"]] == ["王芳", "王芳"]
    calls = await (await client.get(f"/api/customers/{wang.id}/calls")).json()
    assert len(calls["items"]) == 2
