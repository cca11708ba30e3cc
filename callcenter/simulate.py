"""``callcenter simulate``: a realistic stream of call lifecycles posted through the real telephony endpoint.

A newcomer runs the server, logs in as an agent, goes Available, and watches calls pop: known
customers (matched by number in several formats), unknown callers, withheld numbers, numbers
several customers share; calls answered, abandoned, missed, put on hold and transferred.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from callcenter.accounts.models import SYSTEM
from callcenter.clock import SystemClock
from callcenter.db import Database
from callcenter.errors import DomainError
from callcenter.integrations.crypto import SecretBox
from callcenter.integrations.models import IntegrationKind
from callcenter.integrations.service import IntegrationService
from callcenter.routing.models import Presence
from callcenter.routing.service import RoutingService
from callcenter.settings import Settings
from callcenter.timers.service import TimerService

log = logging.getLogger(__name__)
SIMULATOR = "callcenter simulate"
QUEUES = ("sales", "support", "billing")
IVR = ("1", "2", "3", "9")


@dataclass
class World:
    """What the simulator draws from: customers' numbers, agents, the PBX token, the center's own numbers."""

    token: str
    numbers: list[str]
    agents: list[str]
    region: str
    db: Database | None = None
    dialled: list[str] = field(default_factory=list)  # numbers with a queue: calls to them are routed
    staff: dict[str, int] = field(default_factory=dict)  # agents the simulator works for: username → id
    routing: RoutingService | None = None

    async def available(self) -> list[str]:
        """Agents who are Available now (ringing them makes a newcomer's console pop); else everyone."""
        if self.db is None:
            return self.agents
        rows = await self.db.fetchall(
            "SELECT u.username FROM agent_presence p JOIN users u ON u.id = p.user_id"
            " WHERE p.presence = 'available' AND u.role = 'agent' AND NOT u.disabled ORDER BY u.id")
        return [r["username"] for r in rows] or self.agents


class _Quiet:
    """The simulator's own routing changes are seen by the server, which pushes them; it pushes nothing."""

    async def send(self, pushes: object) -> None:
        """The server pushes."""

    async def broadcast(self, room: str, event: str, payload: object) -> None:
        """The server pushes."""

    async def end_sessions(self, token_hashes: object) -> None:
        """Not used."""

    async def join_rooms(self, user_id: int, add: object = (), remove: object = ()) -> None:
        """Not used."""


async def staff(world: World, count: int) -> None:
    """Work as ``count`` agents: set them available (the server's router sees the change and rebuilds)."""
    if world.db is None or count <= 0:
        return
    rows = await world.db.fetchall(
        "SELECT u.id, u.username FROM users u LEFT JOIN agent_presence p ON p.user_id = u.id"
        " WHERE u.role = 'agent' AND NOT u.disabled AND COALESCE(p.presence, 'offline') = 'offline'"
        " ORDER BY u.id LIMIT ?", (count,))
    world.routing = RoutingService(world.db, SystemClock(), _Quiet(), TimerService(world.db, SystemClock()))
    for row in rows:
        await world.routing.set_presence(row["id"], Presence.AVAILABLE, None)
        world.staff[row["username"]] = row["id"]
    log.info("working as %s", ", ".join(world.staff) or "nobody (every agent is online already)")


async def unstaff(world: World) -> None:
    """Sign the simulated agents off again."""
    if world.routing is None:
        return
    for user_id in world.staff.values():
        await world.routing.set_presence(user_id, Presence.OFFLINE, None)


async def prepare(settings: Settings) -> World:
    """Create (or re-key) the simulator's integration and read numbers and agents from the database."""
    db = Database(settings.database_url)
    await db.connect()
    await db.migrate()
    try:
        service = IntegrationService(db, SystemClock(), SecretBox(settings.secret_key.get_secret_value()))
        existing = [i for i in await service.list(kind=IntegrationKind.GENERIC, limit=200) if i.name == SIMULATOR]
        if existing:
            _, token = await service.rotate_token(SYSTEM, existing[0].id)
        else:
            _, created = await service.create(SYSTEM, IntegrationKind.GENERIC, SIMULATOR, settings.default_region, [])
            assert created is not None
            token = created
        numbers = [r["e164"] for r in await db.fetchall("SELECT e164 FROM customer_phones ORDER BY customer_id")]
        agents = [r["username"] for r in await db.fetchall(
            "SELECT username FROM users WHERE role = 'agent' AND NOT disabled ORDER BY id")]
        dialled = [r["number"] for r in await db.fetchall("SELECT number FROM numbers ORDER BY id")]
    except BaseException:
        await db.close()
        raise
    return World(token, numbers, agents, settings.default_region, db, dialled)


def caller(world: World, rng: random.Random) -> str:
    """A calling number: mostly known customers in the formats PBXs send, some unknown, some withheld."""
    roll = rng.random()
    if world.numbers and roll < 0.7:
        e164 = rng.choice(world.numbers)
        if e164.startswith("+86") and rng.random() < 0.5:
            # National format: mobiles are dialled as 11 digits, landlines with a trunk 0.
            return e164[3:] if e164.startswith("+861") else "0" + e164[3:]
        return e164 if rng.random() < 0.7 else "00" + e164[1:]
    if roll < 0.9:
        return f"+8613{rng.randrange(100_000_000, 999_999_999)}"
    return rng.choice(["anonymous", "+266696687", "restricted"])


async def routed(http: aiohttp.ClientSession, url: str, world: World, rng: random.Random, n: int,
                 speed: float) -> None:
    """One call to one of the center's numbers, routed by the server: the PBX asks until it may dial."""
    headers = {"Authorization": f"Bearer {world.token}"}
    call_id = f"sim-{rng.getrandbits(48):012x}-{n}"
    base: dict[str, Any] = {"call_id": call_id, "direction": "inbound", "from": caller(world, rng),
                            "to": rng.choice(world.dialled), "ivr": rng.choice(IVR)}

    async def post(event: str, **extra: Any) -> dict[str, Any]:
        async with http.post(f"{url}/api/telephony/events", json={**base, "event": event, **extra},
                             headers=headers) as response:
            if response.status >= 400:
                log.warning("%s %s: %s %s", call_id, event, response.status, await response.text())
                return {}
            return dict(await response.json())

    loop = asyncio.get_running_loop()
    patience = loop.time() + rng.uniform(30, 150) / speed
    while True:
        answer = await post("ringing", route=True)
        action = answer.get("action")
        if action == "dial":
            break
        if action not in ("queue", "overflow") or not answer.get("retry_after_s") or loop.time() > patience:
            await post("ended", cause="cancel" if action in ("queue", "overflow") else "normalClearing")
            return
        await asyncio.sleep(float(answer["retry_after_s"]) / speed)
    agent = str(answer["agent"])
    await asyncio.sleep(rng.uniform(2, 6) / speed)
    if rng.random() < 0.1 and agent in world.staff:
        await routed_ring_out(post, answer, patience, speed, rng, world, agent)
        return
    await post("answered", agent=agent)
    await asyncio.sleep(rng.uniform(15, 90) / speed)
    await post("ended", cause="normalClearing")
    await wrap_up(world, agent, answer, rng, speed)


async def routed_ring_out(post: Any, answer: dict[str, Any], patience: float, speed: float, rng: random.Random,
                          world: World, agent: str) -> None:
    """The agent lets it ring: the server's ring timeout moves the call on; the caller waits or gives up."""
    await asyncio.sleep(float(answer["route"].get("ring_timeout_s") or 20) / speed)
    while asyncio.get_running_loop().time() < patience:
        again = await post("ringing", route=True)
        if again.get("action") == "dial" and again.get("agent") != agent:
            await post("answered", agent=again["agent"])
            await asyncio.sleep(rng.uniform(15, 60) / speed)
            await post("ended", cause="normalClearing")
            await wrap_up(world, str(again["agent"]), again, rng, speed)
            return
        await asyncio.sleep(5 / speed)
    await post("ended", cause="cancel")


async def wrap_up(world: World, agent: str, answer: dict[str, Any], rng: random.Random, speed: float) -> None:
    """A simulated agent wraps up with a disposition of the queue after a few seconds (people do it themselves)."""
    if world.routing is None or agent not in world.staff:
        return
    await asyncio.sleep(rng.uniform(3, 12) / speed)
    user_id = world.staff[agent]
    state = await world.routing.agent_state(user_id)
    if state["work"] != "wrap_up" or state["wrap_up"] is None:
        return
    choices = state["wrap_up"]["dispositions"]
    pick = rng.choice(choices)["id"] if choices else None
    try:
        await world.routing.wrap_up(user_id, state["wrap_up"]["call_id"], pick, None)
    except DomainError as err:  # the wrap-up timed out meanwhile
        log.info("wrap-up of %s: %s", agent, err.message)


async def lifecycle(http: aiohttp.ClientSession, url: str, world: World, rng: random.Random, n: int,
                    speed: float) -> None:
    """One call from ringing to its end, at a human pace divided by ``speed``."""
    if world.dialled and rng.random() < 0.8:
        await routed(http, url, world, rng, n, speed)
        return
    headers = {"Authorization": f"Bearer {world.token}"}
    call_id = f"sim-{rng.getrandbits(48):012x}-{n}"
    pool = await world.available()
    agents = rng.sample(pool, k=min(len(pool), rng.choice([1, 1, 2, 3]))) if pool else []
    base: dict[str, Any] = {"call_id": call_id, "direction": "inbound", "from": caller(world, rng),
                            "to": "+861088880000", "queue": rng.choice(QUEUES), "ivr": rng.choice(IVR)}

    async def post(event: str, **extra: Any) -> None:
        async with http.post(f"{url}/api/telephony/events", json={**base, "event": event, **extra},
                             headers=headers) as response:
            if response.status >= 400:
                log.warning("%s %s: %s %s", call_id, event, response.status, await response.text())

    async def pause(low: float, high: float) -> None:
        await asyncio.sleep(rng.uniform(low, high) / speed)

    await post("ringing", agents=agents)
    await pause(3, 12)
    fate = rng.random()
    if fate < 0.15 or not agents:
        await post("ended", cause="cancel")  # the caller gave up
        return
    if fate < 0.22:
        await post("ended", cause="noAnswer")
        return
    agent = rng.choice(agents)
    await post("answered", agent=agent)
    await pause(8, 40)
    if rng.random() < 0.2:
        await post("hold")
        await pause(3, 10)
        await post("unhold")
        await pause(5, 20)
    if rng.random() < 0.1 and len(world.agents) > 1:
        await post("transferred")
        colleague = rng.choice([a for a in world.agents if a != agent])
        leg = {**base, "call_id": call_id + "-t", "parent_call_id": call_id}
        async with http.post(f"{url}/api/telephony/events", headers=headers,
                             json={**leg, "event": "ringing", "agents": [colleague]}):
            pass
        await pause(2, 6)
        for event, extra in (("answered", {"agent": colleague}), ("ended", {"cause": "normalClearing"})):
            async with http.post(f"{url}/api/telephony/events", headers=headers, json={**leg, "event": event, **extra}):
                pass
            await pause(5, 20)
        return
    await post("ended", cause="normalClearing")


async def run(settings: Settings, url: str, rate_per_min: float, duration_s: float | None, speed: float,
              seed: int | None, staffed: int = 0) -> int:
    """Start calls at ``rate_per_min`` until ``duration_s`` passes (or forever); returns calls started.

    Calls to the center's configured numbers (80 %) are routed by the server; the rest ring agents
    the way a PBX with its own ring groups would. ``staffed`` agents are worked by the simulator.
    """
    world = await prepare(settings)
    await staff(world, staffed)
    rng = random.Random(seed)  # noqa: S311 - simulated traffic, not secrets
    started = 0
    tasks: set[asyncio.Task[None]] = set()
    loop = asyncio.get_running_loop()
    until = None if duration_s is None else loop.time() + duration_s
    try:
        async with aiohttp.ClientSession() as http:
            while until is None or loop.time() < until:
                task = asyncio.create_task(lifecycle(http, url, world, rng, started, speed))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                started += 1
                log.info("call %d started", started)
                await asyncio.sleep(rng.expovariate(rate_per_min / 60))
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await unstaff(world)
        if world.db is not None:
            await world.db.close()
    return started
