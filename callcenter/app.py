"""``create_app(settings)``: the one place that wires storage, services, routes and the socket server."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiohttp import web

from callcenter.accounts import api as accounts_api
from callcenter.accounts.hashing import PasswordHasher
from callcenter.accounts.service import AccountPolicy, AccountService
from callcenter.agents import api as agents_api
from callcenter.agents.service import AgentService
from callcenter.audit.service import AuditService
from callcenter.calendars import api as calendars_api
from callcenter.calendars.service import CalendarService
from callcenter.clock import Clock, SystemClock
from callcenter.console import api as console_api
from callcenter.console.service import ConsoleService
from callcenter.customers import api as customers_api
from callcenter.customers.service import CustomerService, value_params
from callcenter.db import Database, ServerLock
from callcenter.integrations import api as integrations_api
from callcenter.integrations.crypto import SecretBox
from callcenter.integrations.service import IntegrationService
from callcenter.numbers import api as numbers_api
from callcenter.numbers.service import NumberService
from callcenter.queues import api as queues_api
from callcenter.queues import pages as queues_pages
from callcenter.queues.service import QueueService
from callcenter.realtime import Realtime
from callcenter.routing import api as routing_api
from callcenter.routing import events as routing_events
from callcenter.routing.service import RoutingService
from callcenter.settings import Settings
from callcenter.teams import api as teams_api
from callcenter.teams.service import TeamService
from callcenter.telephony import api as telephony_api
from callcenter.telephony.calls import CallService
from callcenter.telephony.service import TelephonyService
from callcenter.timers.models import Timer
from callcenter.timers.service import TimerService
from callcenter.web import admin, health, pages
from callcenter.web.keys import (
    ACCOUNTS,
    AGENTS,
    AUDIT,
    CLOCK,
    CONSOLE,
    DATABASE,
    INTEGRATIONS,
    OPENAPI,
    REALTIME,
    ROUTING,
    SETTINGS,
    TEMPLATES,
    TIMERS,
)
from callcenter.web.openapi import build_openapi
from callcenter.web.render import make_environment
from callcenter.web.security import auth_middleware, errors_middleware, forwarded_middleware, headers_middleware

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
HASHER = web.AppKey("hasher", PasswordHasher)
YOUNG_COLLECTION_AFTER = 10_000  # allocations between young-generation collections (default 700)
MIDDLE_COLLECTION_AFTER = 2  # young collections between middle-generation ones (default 10)
MAINTENANCE_EVERY_S = 60.0
NODE_HEARTBEAT_S = 10.0
DAILY_VALUES = "daily_values"


def create_app(settings: Settings, clock: Clock | None = None) -> web.Application:
    """Build the application; nothing here touches the disk or network until the app starts."""
    clock = clock or SystemClock()
    app = web.Application(middlewares=[*([forwarded_middleware(settings.trusted_proxies)] if settings.trusted_proxies
                                         else []),
                                       headers_middleware, errors_middleware, auth_middleware],
                          client_max_size=8 * 1024 * 1024)
    db = Database(settings.database_url)
    realtime = Realtime(settings.allowed_origins(), settings.redis_url, settings.redis_channel)
    hasher = PasswordHasher(settings.argon2_memory_kib, settings.argon2_time_cost)
    accounts = AccountService(
        db, clock, hasher, realtime,
        AccountPolicy(settings.session_ttl_s, settings.login_max_failures, settings.login_window_s),
    )
    realtime.bind(accounts)
    agents = AgentService(db, clock, realtime)
    console = ConsoleService(db, clock, settings.push_retention_s * 1000)
    console.add_part("me", accounts.snapshot_part)
    timers = TimerService(db, clock)
    integrations = IntegrationService(db, clock, SecretBox(settings.secret_key.get_secret_value()))
    console.add_part("devices", agents.devices_part)
    customers = CustomerService(db, clock, settings.default_region, value_params(settings))
    telephony = TelephonyService(db, clock, realtime, customers, agents)
    calls = CallService(db, clock, realtime, customers)
    console.add_part("calls", calls.console_part)
    teams = TeamService(db, clock, realtime)
    routing = RoutingService(db, clock, realtime, timers)
    telephony.watchers.append(routing)
    routing.popper = telephony.pop_for
    accounts.user_listeners.append(routing.agent_changed)
    accounts.user_listeners.append(agents.forget_directory)
    console.add_part("presence", routing.state_part)
    realtime.on("agent:presence", routing_events.presence_handler(routing))
    realtime.on("agent:wrap_up", routing_events.wrap_up_handler(routing))
    connected, disconnected = routing_events.connection_hooks(routing)
    realtime.on_connect.append(connected)
    realtime.on_disconnect.append(disconnected)
    console.add_part("teams", teams.console_part)
    realtime.room_providers.append(teams.rooms_for)
    calendars = CalendarService(db, clock)
    numbers = NumberService(db, clock, settings.default_region)
    calendars.on_change.append(numbers.forget_routes)
    queues = QueueService(db, clock)
    routing.numbers = numbers
    queues.listeners.append(routing.config_changed)

    app[SETTINGS] = settings
    app[CLOCK] = clock
    app[DATABASE] = db
    app[ACCOUNTS] = accounts
    app[AUDIT] = AuditService(db)
    app[CONSOLE] = console
    app[AGENTS] = agents
    app[INTEGRATIONS] = integrations
    app[customers_api.CUSTOMERS] = customers
    app[telephony_api.TELEPHONY] = telephony
    app[telephony_api.CALLS] = calls
    app[telephony_api.INTEGRATION_AUTH] = integrations
    app[teams_api.TEAMS] = teams
    app[calendars_api.CALENDARS] = calendars
    app[numbers_api.NUMBERS] = numbers
    app[queues_api.QUEUES] = queues
    app[TIMERS] = timers
    app[ROUTING] = routing
    app[REALTIME] = realtime
    app[HASHER] = hasher
    app[TEMPLATES] = make_environment()

    for table in (pages.routes, health.routes, admin.routes, accounts_api.routes, console_api.routes,
                  integrations_api.routes, integrations_api.pages, agents_api.routes, agents_api.pages,
                  customers_api.routes, telephony_api.routes, teams_api.routes, teams_api.pages,
                  calendars_api.routes, calendars_api.pages, numbers_api.routes, numbers_api.pages,
                  queues_api.routes, queues_pages.pages, routing_api.routes):
        table.add_to(app)
    if STATIC_DIR.is_dir():
        app.router.add_static("/static", STATIC_DIR, name="static")
    realtime.sio.attach(app, socketio_path="socket.io")
    app[OPENAPI] = build_openapi(app)

    app.on_shutdown.append(_close_sockets)
    app.cleanup_ctx.append(_realtime)  # first in, so torn down last: after the last emit
    app.cleanup_ctx.append(_storage)
    app.cleanup_ctx.append(_maintenance)
    app.cleanup_ctx.append(_routing)
    return app


async def _close_sockets(app: web.Application) -> None:
    """Before waiting for open requests to end, close the sockets: a WebSocket never ends by itself."""
    await app[REALTIME].disconnect_all()


async def _realtime(app: web.Application) -> AsyncIterator[None]:
    """On the way out, stop listening to the other nodes and close the Redis connection (when there is one)."""
    yield
    await app[REALTIME].close()


def tune_collector() -> None:
    """Set the garbage collector up for a process holding hundreds of sockets (the server, the pop benchmark)."""
    # Start-up objects (modules, phone metadata) leave the GC's scan: full collections with
    # hundreds of sockets connected otherwise stall the loop (PERFORMANCE.md).
    gc.collect()
    gc.freeze()
    # A collection of the young generation happens every YOUNG_COLLECTION_AFTER allocations
    # (CPython's default: 700). Under load, at 700 most young collections find requests still
    # in flight and move them on to older generations, whose collections then walk every
    # socket and session: with 500 agents connected ~5 ms each several times a second, and a
    # full one (~70 ms) every ~2 s, enough alone to spoil the pop's p99 (docs/BENCHMARKS.md).
    # At 10,000, requests are mostly over by the next young collection.
    # What does outlive young collections (a wave of agents connecting: ~70,000 objects for
    # 500 sockets) waits in the middle generation until its next collection; at CPython's one
    # per 10 young ones that walk took 40-65 ms under load. Every second young collection
    # keeps each walk to what arrived since, ~1-10 ms.
    _, _, full = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_AFTER, MIDDLE_COLLECTION_AFTER, full)


async def _storage(app: web.Application) -> AsyncIterator[None]:
    """Open the database (holding the server lock on a SQLite file), migrate, then freeze the heap."""
    db = app[DATABASE]
    lock = ServerLock(db.path) if db.path is not None else None
    if lock is not None and not lock.acquire():
        raise RuntimeError(f"another server is using {db.path}")
    try:
        await db.connect()
        await db.migrate()
        tune_collector()
        yield
    finally:
        await db.close()
        app[HASHER].close()
        if lock is not None:
            lock.release()


async def _maintenance(app: web.Application) -> AsyncIterator[None]:
    """Prune expired sessions, old login attempts and pushes past the replay window."""
    clock = app[CLOCK]

    async def prune(now: int) -> None:
        await app[ACCOUNTS].prune(now)
        await app[CONSOLE].prune(now)

    task = asyncio.create_task(_every(MAINTENANCE_EVERY_S, clock, prune), name="maintenance")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _routing(app: web.Application) -> AsyncIterator[None]:
    """Build the router, run due timers (ring, wrap-up, overflow, offline, the daily value job), beat the node."""
    routing, timers, clock = app[ROUTING], app[TIMERS], app[CLOCK]
    customers = app[customers_api.CUSTOMERS]

    async def daily_values(timer: Timer) -> None:
        # Recomputing is idempotent, so a node dying mid-run only means the next node runs it again.
        await customers.daily_value_job(clock.now_ms())
        async with app[DATABASE].transaction() as conn:
            await timers.arm(conn, DAILY_VALUES, "all", next_daily_run(clock.now_ms()))

    timers.register(DAILY_VALUES, daily_values)
    async with app[DATABASE].transaction() as conn:
        await timers.arm_if_absent(conn, DAILY_VALUES, "all", next_daily_run(clock.now_ms()))
    await routing.start()
    tasks = [asyncio.create_task(timers.run(), name="timers"),
             asyncio.create_task(_every(NODE_HEARTBEAT_S, clock, lambda _now: routing.presence.heartbeat()),
                                 name="node-heartbeat")]
    yield
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await routing.stop()


def next_daily_run(now_ms: int) -> int:
    """02:00 UTC after ``now_ms``: the daily value job's slot."""
    day = 24 * 3600 * 1000
    at = now_ms - now_ms % day + 2 * 3600 * 1000
    return at if at > now_ms else at + day


async def _every(seconds: float, clock: Clock, body: Callable[[int], Awaitable[None]]) -> None:
    """Run one service call each period; a failure is logged and the loop goes on."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await body(clock.now_ms())
        except Exception:
            log.exception("periodic task failed")
