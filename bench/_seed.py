"""Benchmark data: agents (one shared password hash, made once), a PBX token, customers with numbers."""

from __future__ import annotations

import random

from callcenter.accounts.hashing import PasswordHasher
from callcenter.accounts.models import SYSTEM
from callcenter.clock import SystemClock
from callcenter.customers.models import CustomerDraft, OrderDraft, PhoneDraft
from callcenter.customers.service import CustomerService
from callcenter.db import Database
from callcenter.integrations.crypto import SecretBox
from callcenter.integrations.models import IntegrationKind
from callcenter.integrations.service import IntegrationService
from callcenter.settings import Settings

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "芳伟娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平"


async def seed_bench_data(
    database: str, agents: int, customers: int, password: str
) -> tuple[list[str], list[str], str]:
    """Create the data once; returns agent usernames, customer numbers and the integration token."""
    settings = Settings(database_url=database)
    db = Database(database)
    await db.connect()
    await db.migrate()
    clock = SystemClock()
    try:
        # Hashing 500 passwords one by one would take longer than the benchmark; they share one hash
        # made with the server's own argon2 settings, so logins cost what they cost in production.
        hasher = PasswordHasher(settings.argon2_memory_kib, settings.argon2_time_cost)
        encoded = await hasher.hash(password)
        hasher.close()
        now = clock.now_ms()
        usernames = [f"agent{i:04d}" for i in range(agents)]
        async with db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO users (username, display_name, role, password_hash, locale, disabled, created_at,"
                " updated_at) VALUES (?, ?, 'agent', ?, NULL, FALSE, ?, ?)",
                [(u, f"Agent {u[-4:]}", encoded, now, now) for u in usernames],
            )
        _, token = await IntegrationService(db, clock, SecretBox(settings.secret_key.get_secret_value())).create(
            SYSTEM, IntegrationKind.GENERIC, "bench pbx", "CN", [])
        assert token
        rng = random.Random(7)
        service = CustomerService(db, clock, "CN")
        numbers = [f"+86139{i:08d}" for i in range(customers)]
        drafts = [(i, CustomerDraft(name=rng.choice(SURNAMES) + rng.choice(GIVEN), phones=(PhoneDraft(n),)))
                  for i, n in enumerate(numbers)]
        for start in range(0, len(drafts), 1000):
            await service.bulk_upsert(SYSTEM, drafts[start:start + 1000])
        orders = [(i, OrderDraft(at_ms=now - rng.randrange(1, 400) * 86_400_000,
                                 amount_cents=rng.randrange(1_000, 500_000), customer_phone=rng.choice(numbers)))
                  for i in range(customers * 2)]
        for start in range(0, len(orders), 1000):
            await service.bulk_orders(SYSTEM, orders[start:start + 1000])
        # Callers: mostly customers (national format, as PBXs send), some unknown, some withheld.
        callers = [n[3:] for n in numbers] + [f"+86137{i:08d}" for i in range(customers // 5)] + ["anonymous"] * 20
    finally:
        await db.close()
    return usernames, callers, token
