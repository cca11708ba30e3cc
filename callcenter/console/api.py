"""HTTP route of the console: the snapshot a (re)connecting client loads."""

from __future__ import annotations

from aiohttp import web

from callcenter.console.schemas import SnapshotOut, SnapshotQuery
from callcenter.web.http import Policy, RouteTable, json_response, parse_query, user_of
from callcenter.web.keys import CONSOLE

routes = RouteTable("console")


@routes.route("GET", "/api/console/snapshot", policy=Policy.AGENT, query=SnapshotQuery,
              response=SnapshotOut, summary="Current console state and the pushes after a sequence number")
async def snapshot(request: web.Request) -> web.Response:
    query = parse_query(request, SnapshotQuery)
    return json_response(await request.app[CONSOLE].snapshot(user_of(request), query.since))
