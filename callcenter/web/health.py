"""``GET /health``: whether this node can serve, for load balancers, monitors and systemd."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from callcenter.web.http import Policy, RouteTable, json_response
from callcenter.web.keys import DATABASE, REALTIME

log = logging.getLogger(__name__)

routes = RouteTable("health")

# A check that takes longer than this counts as failed: a balancer should move on, not hang.
CHECK_TIMEOUT_S = 2.0

Check = Literal["ok", "failing", "not configured"]


class HealthOut(BaseModel):
    """What each dependency of this node answered; 200 when it can serve, 503 when it cannot."""

    status: Literal["ok", "unavailable"]
    database: Check = Field(description="A query on the database answered")
    channel: Check = Field(description="Redis, shared by the nodes, answered a ping (only with several nodes)")


async def _database_ok(request: web.Request) -> bool:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            return int(await request.app[DATABASE].fetchval("SELECT count(*) FROM schema_migrations")) > 0
    except Exception as err:  # unreachable, timed out or broken: all the same to a balancer
        log.warning("health: the database did not answer: %r", err)  # one line: monitors ask every few seconds
        return False


async def _channel_ok(request: web.Request) -> bool | None:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            return await request.app[REALTIME].channel_ok()
    except TimeoutError:
        log.warning("health: Redis did not answer within %.0f s", CHECK_TIMEOUT_S)
        return False


@routes.route("GET", "/health", policy=Policy.PUBLIC, response=HealthOut,
              summary="Whether this node can serve (its database, and Redis with several nodes); 503 if not")
async def health(request: web.Request) -> web.Response:
    """Check the database and, with several nodes, Redis, side by side."""
    database, channel = await asyncio.gather(_database_ok(request), _channel_ok(request))
    out = HealthOut(
        status="ok" if database and channel is not False else "unavailable",
        database="ok" if database else "failing",
        channel="not configured" if channel is None else "ok" if channel else "failing",
    )
    response = json_response(out, 200 if out.status == "ok" else 503)
    response.headers["Cache-Control"] = "no-store"
    return response
