"""HTTP routes of agents' states and routing: one's own state and wrap-up, supervisors' live board and changes."""

from __future__ import annotations

from aiohttp import web

from callcenter.accounts.models import Actor
from callcenter.routing.schemas import (
    AgentStateOut,
    DecisionQuery,
    DecisionsOut,
    LiveOut,
    PresenceIn,
    TimeInStateOut,
    TimeInStateQuery,
    WrapUpIn,
)
from callcenter.web.http import Policy, RouteTable, client_ip, json_response, parse_body, parse_query, path_int, user_of
from callcenter.web.keys import CLOCK, ROUTING

routes = RouteTable("routing")
DAY_MS = 24 * 3600 * 1000


def _actor(request: web.Request) -> Actor:
    return Actor.of(user_of(request), client_ip(request))


@routes.route("GET", "/api/me/state", policy=Policy.AGENT, summary="One's own presence and work",
              response=AgentStateOut)
async def my_state(request: web.Request) -> web.Response:
    return json_response(await request.app[ROUTING].agent_state(user_of(request).id))


@routes.route("POST", "/api/me/presence", policy=Policy.AGENT, body=PresenceIn, response=AgentStateOut,
              summary="Set one's presence (available, away with a reason, offline)")
async def set_my_presence(request: web.Request) -> web.Response:
    body = await parse_body(request, PresenceIn)
    state = await request.app[ROUTING].set_presence(user_of(request).id, body.presence, body.reason)
    return json_response(state)


@routes.route("POST", "/api/me/wrap-up", policy=Policy.AGENT, body=WrapUpIn, response=AgentStateOut,
              summary="End one's wrap-up with a disposition and notes")
async def wrap_up(request: web.Request) -> web.Response:
    body = await parse_body(request, WrapUpIn)
    state = await request.app[ROUTING].wrap_up(user_of(request).id, body.call_id, body.disposition_id, body.notes)
    return json_response(state)


@routes.route("GET", "/api/agents/{id}/state", policy=Policy.SUPERVISOR, response=AgentStateOut,
              summary="An agent's presence and work")
async def agent_state(request: web.Request) -> web.Response:
    return json_response(await request.app[ROUTING].agent_state(path_int(request, "id")))


@routes.route("POST", "/api/agents/{id}/presence", policy=Policy.SUPERVISOR, body=PresenceIn,
              response=AgentStateOut, summary="Change an agent's presence (audited)")
async def set_agent_presence(request: web.Request) -> web.Response:
    body = await parse_body(request, PresenceIn)
    state = await request.app[ROUTING].set_presence(path_int(request, "id"), body.presence, body.reason,
                                                    _actor(request))
    return json_response(state)


@routes.route("GET", "/api/agents/{id}/time-in-state", policy=Policy.SUPERVISOR, query=TimeInStateQuery,
              response=TimeInStateOut, summary="Seconds in each state and occupancy over a window (default: 24 h)")
async def time_in_state(request: web.Request) -> web.Response:
    query = parse_query(request, TimeInStateQuery)
    end = query.to if query.to is not None else request.app[CLOCK].now_ms()
    start = query.from_ if query.from_ is not None else end - DAY_MS
    return json_response(await request.app[ROUTING].board.time_in_state(path_int(request, "id"), start, end))


@routes.route("GET", "/api/me/time-in-state", policy=Policy.AGENT, query=TimeInStateQuery,
              response=TimeInStateOut, summary="One's own seconds in each state and occupancy")
async def my_time_in_state(request: web.Request) -> web.Response:
    query = parse_query(request, TimeInStateQuery)
    end = query.to if query.to is not None else request.app[CLOCK].now_ms()
    start = query.from_ if query.from_ is not None else end - DAY_MS
    return json_response(await request.app[ROUTING].board.time_in_state(user_of(request).id, start, end))


@routes.route("GET", "/api/supervisor/live", policy=Policy.SUPERVISOR, response=LiveOut,
              summary="Calls waiting and active, agents by state, the last routing decisions; numbers masked")
async def live(request: web.Request) -> web.Response:
    return json_response(await request.app[ROUTING].board.live())


@routes.route("GET", "/api/routing/decisions", policy=Policy.SUPERVISOR, query=DecisionQuery,
              response=DecisionsOut, summary="Routing decisions with candidates and exclusions, newest first")
async def decisions(request: web.Request) -> web.Response:
    query = parse_query(request, DecisionQuery)
    items = await request.app[ROUTING].board.decisions(query.limit, query.call_id, query.before)
    return json_response({"items": items})
