"""``callcenter simulate``: a realistic stream of call lifecycles posted through the real telephony endpoint.

A newcomer runs the server, logs in as an agent, goes Available, and watches calls pop: known
customers (matched by number in several formats), unknown callers, withheld numbers, numbers
several customers share; calls answered, abandoned, missed, put on hold and transferred.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Any

import aiohttp

from callcenter.accounts.models import SYSTEM
from callcenter.clock import SystemClock
from callcenter.db import Database
from callcenter.integrations.crypto import SecretBox
from callcenter.integrations.models import IntegrationKind
from callcenter.integrations.service import IntegrationService
from callcenter.settings import Settings

log = logging.getLogger(__name__)
SIMULATOR = "callcenter simulate"
QUEUES = ("sales", "support", "billing")
IVR = ("1", "2", "3", "9")


@dataclass
class World:
    """What the simulator draws from: customers' numbers, agents, and the PBX token."""

    token: str
    numbers: list[str]
    agents: list[str]
    region: str
    db: Database | None = None

    async def available(self) -> list[str]:
        """Agents who are Available now (ringing them makes a newcomer's console pop); else everyone."""
        if self.db is None:
            return self.agents
        rows = await self.db.fetchall(
            "SELECT u.username FROM agent_presence p JOIN users u ON u.id = p.user_id"
            " WHERE p.presence = 'available' AND u.role = 'agent' AND NOT u.disabled ORDER BY u.id")
        return [r["username"] for r in rows] or self.agents


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
    except BaseException:
        await db.close()
        raise
    return World(token, numbers, agents, settings.default_region, db)


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


async def lifecycle(http: aiohttp.ClientSession, url: str, world: World, rng: random.Random, n: int,
                    speed: float) -> None:
    """One call from ringing to its end, at a human pace divided by ``speed``."""
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
              seed: int | None) -> int:
    """Start calls at ``rate_per_min`` until ``duration_s`` passes (or forever); returns calls started."""
    world = await prepare(settings)
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
        if world.db is not None:
            await world.db.close()
    return started
