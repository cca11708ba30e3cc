"""HTTP routes of telephony: the three webhook dialects, and the calls API the console uses."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

import orjson
from aiohttp import web

from callcenter.customers.phones import normalize
from callcenter.errors import FieldError, Invalid, Unauthorized
from callcenter.integrations.crypto import SecretUnreadable
from callcenter.integrations.models import Integration, IntegrationKind
from callcenter.routing.models import Action
from callcenter.schemas import Page
from callcenter.telephony import twilio, zammad
from callcenter.telephony.calls import CallService
from callcenter.telephony.generic import parse_generic
from callcenter.telephony.models import CallEvent, Direction, EventKind, ParseError
from callcenter.telephony.routed import RoutedCall
from callcenter.telephony.schemas import (
    CallCustomerIn,
    CallCustomerOut,
    CallNewCustomerIn,
    CallNotesIn,
    CallOut,
    CallQuery,
    CustomerCallsOut,
    EventAck,
    GenericEventIn,
    ZammadAnswer,
)
from callcenter.telephony.service import Ingested, Source, TelephonyService
from callcenter.web.http import (
    Policy,
    RouteTable,
    client_ip,
    json_response,
    parse_body,
    parse_query,
    path_int,
    read_json,
    user_of,
)
from callcenter.web.keys import AGENTS, CLOCK, ROUTING, SETTINGS

log = logging.getLogger(__name__)
routes = RouteTable("telephony")


class IntegrationAuth(Protocol):
    """What the webhooks ask of integrations."""

    async def authenticate(self, kind: IntegrationKind, token: str) -> Integration | None:
        """The enabled integration a token belongs to."""
        ...

    async def twilio_for(self, account_sid: str) -> Integration | None:
        """The enabled Twilio integration of an account."""
        ...

    def twilio_auth_token(self, integration: Integration) -> str:
        """The decrypted auth token of a Twilio integration."""
        ...


TELEPHONY = web.AppKey("telephony", TelephonyService)
CALLS = web.AppKey("calls", CallService)
INTEGRATION_AUTH = web.AppKey("integration_auth", IntegrationAuth)


def _source(integration: Integration) -> Source:
    return Source(integration.id, integration.default_region)


async def _source_for(request: web.Request, integration: Integration, events: Sequence[CallEvent]) -> Source:
    """Where events came from; an inbound call to one of our numbers reads callers' national numbers
    in that number's region (a UK line's callers dial UK formats), else in the integration's."""
    first = events[0] if events else None
    if first is not None and first.direction is Direction.INBOUND and first.to_number:
        region = await request.app[ROUTING].region_for(first.to_number)
        if region is not None:
            return Source(integration.id, region)
    return _source(integration)


def _blocked(integration: Integration, event: CallEvent) -> bool:
    """Inbound callers on the integration's block list, compared after normalization."""
    if not integration.block_list or event.kind is not EventKind.RINGING \
            or event.direction is Direction.OUTBOUND or not event.from_number:
        return False
    phone = normalize(event.from_number, integration.default_region)
    return phone is not None and integration.is_blocked(phone.e164)


def _ack(result: Ingested) -> EventAck:
    # Built from our own values, so pydantic's validation is skipped.
    return EventAck.model_construct(call_id=result.call_id, state=result.record.state.value,
                                    duplicate=result.duplicate, popped=list(result.popped))


# What a PBX that did not ask for a route gets besides the outcome: the schema's own defaults.
_ACK_DEFAULTS = {name: f.default for name, f in EventAck.model_fields.items() if not f.is_required()}


def _plain_ack(result: Ingested) -> web.Response:
    """The ``EventAck`` of an event whose PBX did not ask for a route, encoded straight from our
    values: this answers nearly every call event, and the model's construct-and-dump cost four
    times as much (``test_ack_matches_the_schema`` keeps the two the same)."""
    return web.Response(body=orjson.dumps({
        **_ACK_DEFAULTS, "call_id": result.call_id, "state": result.record.state.value,
        "duplicate": result.duplicate, "popped": list(result.popped)}), content_type="application/json")


async def _route(request: web.Request, call_id: int, dialled: str | None, queue: str | None,
                 *, asked: bool = False) -> RoutedCall | None:
    """Ask routing where an inbound call goes, with how to reach the chosen agent; None: not ours to route."""
    answer = await request.app[ROUTING].route_inbound(call_id, dialled, queue, asked=asked)
    if answer is None:
        return None
    contact = await request.app[AGENTS].contact(answer.agent_id) if answer.agent_id is not None else None
    return RoutedCall(answer, contact)


@routes.route("POST", "/api/telephony/events", policy=Policy.INTEGRATION, body=GenericEventIn, response=EventAck,
              summary="A call event in our JSON format (Authorization: Bearer <integration token>)")
async def generic_event(request: web.Request) -> web.Response:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    integration = await request.app[INTEGRATION_AUTH].authenticate(IntegrationKind.GENERIC, token) if token else None
    if integration is None:
        raise Unauthorized("a valid integration token is required (Authorization: Bearer …)")
    body = await read_json(request)
    try:
        event = parse_generic(body, request.app[CLOCK].now_ms())
    except ParseError as err:
        raise Invalid(err.message, [FieldError(("body", err.field), err.message)]) from err
    if _blocked(integration, event):
        return web.json_response({"error": {"code": "blocked", "message": "the caller is on the block list",
                                            "fields": [{"loc": ["body", "from"], "msg": "blocked"}]}}, status=403)
    result = await request.app[TELEPHONY].ingest(await _source_for(request, integration, [event]), [event])
    if not (event.route and event.direction is Direction.INBOUND):
        return _plain_ack(result)
    ack = _ack(result)
    routed = await _route(request, result.call_id, event.to_number, event.queue, asked=True)
    assert routed is not None  # an explicit question always gets an answer
    ack.route = routed.payload()
    ack.action = routed.answer.action.value
    ack.agent = routed.contact["username"] if routed.contact else None
    ack.target = routed.answer.target
    ack.retry_after_s = routed.answer.retry_after_s
    return json_response(ack)


async def _zammad_pairs(request: web.Request) -> list[tuple[str, str]]:
    pairs = list(request.query.items())
    if request.content_type == "application/json":
        try:
            pairs += zammad.pairs_from_json(await request.json())
        except ValueError as err:
            raise ParseError("body", "invalid JSON") from err
    else:
        form = await request.post()
        pairs += [(k, v) for k, v in form.items() if isinstance(v, str)]
    return pairs


@routes.route("POST", "/api/v1/cti/{token}", policy=Policy.INTEGRATION, body=None, response=ZammadAnswer,
              summary="Zammad generic CTI event (JSON or form; token in the path); answers like Zammad")
async def zammad_event(request: web.Request) -> web.Response:
    integration = await request.app[INTEGRATION_AUTH].authenticate(IntegrationKind.ZAMMAD,
                                                                   request.match_info["token"])
    if integration is None:
        return web.json_response(zammad.answer_error("Invalid token, please contact your admin!"), status=401)
    try:
        event = zammad.parse_zammad(await _zammad_pairs(request), request.app[CLOCK].now_ms())
    except ParseError as err:
        return web.json_response(zammad.answer_error(err.message), status=422)
    if _blocked(integration, event):
        log.info("rejected a blocked caller on integration %s", integration.id)
        return web.json_response(zammad.answer_reject())
    result = await request.app[TELEPHONY].ingest(await _source_for(request, integration, [event]), [event])
    if event.kind is EventKind.RINGING and event.direction is Direction.INBOUND and not result.duplicate:
        # A newCall to a number with a queue is routed; Zammad's answers have no "queue": the PBX
        # then rings as it would have, and a free agent is named in a dial answer.
        routed = await _route(request, result.call_id, event.to_number, event.queue)
        if routed is not None:
            return web.json_response(routed.zammad(event.from_number or ""))
    return web.json_response(zammad.answer_ok())


async def _twilio(request: web.Request) -> tuple[Integration, dict[str, str]]:
    """The integration and params of a request whose signature matches the public URL; else 403."""
    form = await request.post()
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    integration = await request.app[INTEGRATION_AUTH].twilio_for(params.get("AccountSid", ""))
    url = request.app[SETTINGS].public_url.rstrip("/") + request.path_qs
    signature = request.headers.get(twilio.SIGNATURE_HEADER, "")
    auth = request.app[INTEGRATION_AUTH]
    try:
        token = auth.twilio_auth_token(integration) if integration is not None else None
    except SecretUnreadable:
        log.error("Twilio integration %s: the auth token cannot be decrypted; was CALLCENTER_SECRET_KEY changed?",
                  integration.id if integration else None)
        token = None
    if token is None or not twilio.valid_signature(token, url, params, signature):
        log.warning("refused a Twilio request with a bad signature from %s", client_ip(request))
        raise web.HTTPForbidden(reason="invalid signature")
    assert integration is not None
    return integration, params


def _twilio_events(params: dict[str, str], now: int) -> tuple[CallEvent, ...]:
    try:
        return twilio.parse_twilio(params, now)
    except ParseError as err:
        raise Invalid(err.message, [FieldError(("form", err.field), err.message)]) from err


def twiml(text: str) -> web.Response:
    """A TwiML answer."""
    return web.Response(text=text, content_type="text/xml")


@routes.route("POST", "/api/telephony/twilio/status", policy=Policy.INTEGRATION, status=204,
              summary="Twilio status callback (X-Twilio-Signature checked against CALLCENTER_PUBLIC_URL)")
async def twilio_status(request: web.Request) -> web.Response:
    integration, params = await _twilio(request)
    events = _twilio_events(params, request.app[CLOCK].now_ms())
    if events:
        await request.app[TELEPHONY].ingest(await _source_for(request, integration, events), events)
    return web.Response(status=204)


@routes.route("POST", "/api/telephony/twilio/voice", policy=Policy.INTEGRATION, content_type="text/xml",
              summary="Twilio incoming-call webhook; answers TwiML")
async def twilio_voice(request: web.Request) -> web.Response:
    integration, params = await _twilio(request)
    events = _twilio_events(params, request.app[CLOCK].now_ms())
    if events and _blocked(integration, events[0]):
        return twiml(twilio.twiml_reject("busy"))
    if not events:
        return twiml(twilio.twiml_reject("rejected"))
    result = await request.app[TELEPHONY].ingest(await _source_for(request, integration, events), events)
    if events[0].direction is not Direction.INBOUND:
        return twiml(twilio.twiml_empty())
    routed = await _route(request, result.call_id, params.get("To"), None)
    if routed is None:  # no queue for this number: callers wait in a Twilio queue named after it
        base = request.app[SETTINGS].public_url.rstrip("/")
        return twiml(twilio.twiml_enqueue(params.get("To", "main"), f"{base}/api/telephony/twilio/wait",
                                          f"{base}/api/telephony/twilio/dequeued"))
    return twiml(_twilio_answer(request, routed, params.get("To", "")))


def _twilio_answer(request: web.Request, routed: RoutedCall, dialled: str) -> str:
    """TwiML for a routing answer: wait in the queue (an agent reserved leaves it at once), or end the call."""
    answer = routed.answer
    if answer.action in (Action.DIAL, Action.QUEUE) or (answer.action is Action.OVERFLOW and answer.retry_after_s):
        base = request.app[SETTINGS].public_url.rstrip("/")
        return twilio.twiml_enqueue(answer.queue or dialled or "main", f"{base}/api/telephony/twilio/wait",
                                    f"{base}/api/telephony/twilio/dequeued")
    if answer.action is Action.CLOSED or answer.action is Action.OVERFLOW:
        if answer.target == "voicemail":
            return twilio.twiml_voicemail(answer.message or VOICEMAIL_MESSAGE, language="en-US")
        text = answer.message or (CALLBACK_MESSAGE if answer.target == "callback" else CLOSED_MESSAGE)
        return twilio.twiml_say_hangup(text, language="en-US")
    return twilio.twiml_reject("busy")


@routes.route("POST", "/api/telephony/twilio/wait", policy=Policy.INTEGRATION, content_type="text/xml",
              summary="Twilio Enqueue wait URL: what the caller hears while waiting (Twilio repeats it)")
async def twilio_wait(request: web.Request) -> web.Response:
    _integration, params = await _twilio(request)
    # Asked every few seconds while the caller waits: once routing has reserved an agent the
    # caller leaves the queue, and the Enqueue action URL dials that agent.
    call_id = await request.app[TELEPHONY].call_id_of("twilio", params.get("CallSid", ""))
    routed = await _route(request, call_id, params.get("To"), None) if call_id is not None else None
    if routed is not None:
        answer = routed.answer
        keeps_waiting = answer.action is Action.QUEUE or (answer.action is Action.OVERFLOW and answer.retry_after_s)
        if not keeps_waiting:  # an agent is reserved, or the call must end another way
            return twiml(twilio.twiml_leave())
    return twiml(twilio.twiml_hold_message(WAIT_MESSAGE, language="en-US", pause_s=WAIT_PAUSE_S))


@routes.route("POST", "/api/telephony/twilio/dequeued", policy=Policy.INTEGRATION, content_type="text/xml",
              summary="Twilio Enqueue action URL: the caller left the queue (bridged, hung up or failed)")
async def twilio_dequeued(request: web.Request) -> web.Response:
    _integration, params = await _twilio(request)
    result = params.get("QueueResult", "")
    call_id = await request.app[TELEPHONY].call_id_of("twilio", params.get("CallSid", ""))
    routed = await _route(request, call_id, params.get("To"), None) if call_id is not None else None
    if result != "leave" or routed is None:
        # The caller hung up or the queue failed: the status callback that follows records the end.
        log.info("twilio call %s left the queue: %s", params.get("CallSid"), result)
        return twiml(twilio.twiml_empty())
    answer = routed.answer
    if answer.action is Action.DIAL and routed.contact is not None:
        base = request.app[SETTINGS].public_url.rstrip("/")
        identity = routed.contact.get("twilio_client") or routed.contact["username"] or ""
        return twiml(twilio.twiml_dial_client(
            identity, caller_id=params.get("From"), timeout_s=answer.ring_timeout_s,
            action_url=f"{base}/api/telephony/twilio/dialed?agent={answer.agent_id}",
            status_callback=f"{base}/api/telephony/twilio/status"))
    return twiml(_twilio_answer(request, routed, params.get("To", "")))


@routes.route("POST", "/api/telephony/twilio/dialed", policy=Policy.INTEGRATION, content_type="text/xml",
              summary="Twilio Dial action URL: the agent answered (the call is over) or did not (back to the queue)")
async def twilio_dialed(request: web.Request) -> web.Response:
    _integration, params = await _twilio(request)
    call_id = await request.app[TELEPHONY].call_id_of("twilio", params.get("CallSid", ""))
    status = params.get("DialCallStatus", "")
    if call_id is None or status in ("completed", "answered"):
        return twiml(twilio.twiml_empty())
    try:
        agent_id = int(request.query.get("agent", ""))
    except ValueError:
        agent_id = None
    if agent_id is not None:
        await request.app[ROUTING].ring_no_answer(call_id, agent_id)
    routed = await _route(request, call_id, params.get("To"), None)
    if routed is None:
        return twiml(twilio.twiml_empty())
    return twiml(_twilio_answer(request, routed, params.get("To", "")))


WAIT_MESSAGE = "Thank you for calling. All our agents are busy; please stay on the line."
WAIT_PAUSE_S = 4  # how often Twilio asks the wait URL again while the caller waits
CLOSED_MESSAGE = "Thank you for calling. We are closed now; please call again during our opening hours."
CALLBACK_MESSAGE = "Thank you for calling. We will call you back as soon as an agent is free."
VOICEMAIL_MESSAGE = "Thank you for calling. Please leave a message after the tone."


@routes.route("GET", "/api/calls", policy=Policy.SUPERVISOR, query=CallQuery, response=Page[CallOut],
              summary="Calls, numbers masked")
async def list_calls(request: web.Request) -> web.Response:
    query = parse_query(request, CallQuery)
    states = tuple(s for s in (query.state or "").split(",") if s)
    found = await request.app[CALLS].list_calls(after_id=query.after(), limit=query.fetch, states=states,
                                          agent_id=query.agent_id, customer_id=query.customer_id, since=query.since)
    calls, cursor = query.cut(found, lambda c: int(c["id"]))
    return json_response({"items": calls, "next_cursor": cursor})


@routes.route("GET", "/api/customers/{id}/calls", policy=Policy.AGENT, response=CustomerCallsOut,
              summary="A customer's calls, newest first, with the agents' notes")
async def customer_calls(request: web.Request) -> web.Response:
    items = await request.app[CALLS].customer_calls(path_int(request, "id"))
    return json_response(CustomerCallsOut(items=items))


@routes.route("GET", "/api/calls/{id}", policy=Policy.AGENT, response=CallOut,
              summary="One call with the full number (a supervisor's look is audited)")
async def get_call(request: web.Request) -> web.Response:
    return json_response(await request.app[CALLS].get(user_of(request), path_int(request, "id"), client_ip(request)))


@routes.route("PATCH", "/api/calls/{id}", policy=Policy.AGENT, body=CallNotesIn, response=CallOut,
              summary="The agent's notes and disposition on a call")
async def annotate_call(request: web.Request) -> web.Response:
    body = await parse_body(request, CallNotesIn)
    return json_response(await request.app[CALLS].annotate(user_of(request), path_int(request, "id"), body.notes,
                                                           body.disposition))


@routes.route("POST", "/api/calls/{id}/customer", policy=Policy.AGENT, body=CallCustomerIn,
              response=CallCustomerOut, summary="Link the call to the customer the agent picked")
async def pick_customer(request: web.Request) -> web.Response:
    body = await parse_body(request, CallCustomerIn)
    result: dict[str, Any] = await request.app[CALLS].link_customer(user_of(request), path_int(request, "id"),
                                                                    body.customer_id)
    return json_response(result)


@routes.route("POST", "/api/calls/{id}/customer/new", policy=Policy.AGENT, body=CallNewCustomerIn,
              response=CallCustomerOut, status=201,
              summary="Quick-create a customer from the new-caller card, with the call's number, and link the call")
async def quick_create_customer(request: web.Request) -> web.Response:
    body = await parse_body(request, CallNewCustomerIn)
    result = await request.app[CALLS].create_customer(user_of(request), path_int(request, "id"), body.name,
                                                      body.language, body.company)
    return json_response(result, status=201)
