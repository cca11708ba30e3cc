"""Writing many customers or orders at once, each item all or nothing, and recomputing customer value."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from callcenter.accounts.models import Actor
from callcenter.audit.service import record
from callcenter.clock import Clock
from callcenter.customers import phones, rules, store
from callcenter.customers.models import CustomerDraft, CustomerValue, OrderDraft, Phone, StoredOrder, Tier
from callcenter.customers.value import OrderTotals, ValueParams, values_from_totals
from callcenter.db import Conn, Database, lock_key
from callcenter.errors import FieldError, Invalid, NotFound

CHUNK = 200  # items per transaction, so other writers get their turn during a long import
TOTALS_CHUNK = 500  # customers per order-sum query when recomputing value
T = TypeVar("T")


@dataclass(frozen=True)
class ItemResult:
    """What became of one item of a bulk request (by index) or of one import row (by line)."""

    index: int
    id: int | None = None  # the customer or order stored
    action: str | None = None  # "created", "updated" or "stored"; None when the item was refused
    errors: tuple[FieldError, ...] = ()


def audited(actor: Actor) -> bool:
    """Supervisors', admins' and the system's changes are audited; agents edit customers on every call."""
    return actor.role != "agent"


async def check_agent(conn: Conn, agent_id: int | None) -> None:
    """A dedicated agent must be an existing, enabled user."""
    if agent_id is None:
        return
    user = (await store.users_by(conn, "id", [agent_id])).get(agent_id)
    if user is None or user["disabled"]:
        raise Invalid("no such agent", [FieldError(("dedicated_agent_id",), "not an enabled user")])


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _merge(results: dict[int, ItemResult], failed: Sequence[ItemResult]) -> list[ItemResult]:
    for item in failed:
        results[item.index] = item
    return [results[i] for i in sorted(results)]


async def insert_customer(conn: Conn, values: dict[str, Any], found: Sequence[Phone], now: int) -> int:
    """Insert a checked customer with its numbers; return its id."""
    # No orders yet, so C by the value rules whatever the others buy: no recompute needed.
    row = {**values, "search_key": rules.search_key(values["name"], values.get("company")), "tier": Tier.C.value}
    customer_id = await store.insert_customer(conn, row, now)
    await store.insert_phones(conn, customer_id, found)
    return customer_id


async def _upsert(conn: Conn, values: dict[str, Any], found: Sequence[Phone], now: int) -> tuple[int, str]:
    """Insert a customer, or update the one that has one of these numbers and the same name."""
    same: list[int] = []
    if found:
        by_number = await store.ids_by_e164(conn, [p.e164 for p in found])
        names = await store.names_of(conn, sorted({cid for ids in by_number.values() for cid in ids}))
        same = [cid for cid, name in sorted(names.items()) if rules.fold(name) == rules.fold(values["name"])]
    if not same:
        return await insert_customer(conn, values, found, now), "created"
    current = await store.get_customer(conn, same[0])
    assert current is not None
    changes = {k: v for k, v in values.items() if v is not None}  # an import never empties a field
    changes["search_key"] = rules.search_key(changes["name"], changes.get("company", current.company))
    await store.update_customer(conn, current.id, changes, now)
    known = {(p.e164, p.extension) for p in current.phones}
    await store.insert_phones(conn, current.id, [p for p in found if (p.e164, p.extension) not in known],
                              len(current.phones))
    return current.id, "updated"


def _changed_values(
    totals: dict[int, OrderTotals], ids: list[int], params: ValueParams, stored: dict[int, tuple[Any, ...]]
) -> list[CustomerValue]:
    computed = values_from_totals(totals, ids, params)
    return [v for v in computed.values() if stored.get(v.customer_id) != store.value_key(v)]


class BulkWriter:
    """The bulk half of the customer service: imports, JSON bulk requests, orders, value."""

    db: Database
    clock: Clock
    default_region: str
    value_params: ValueParams

    def region(self, region: str | None) -> str:
        """The region that reads national numbers: the one asked for (checked), else the default."""
        return rules.check_region(region, self.default_region)

    async def bulk_upsert(
        self, actor: Actor, items: Sequence[tuple[int, CustomerDraft]], region: str | None = None,
        failed: Sequence[ItemResult] = (),
    ) -> list[ItemResult]:
        """Store each good customer and report each bad one; results in index order, ``failed`` merged in.

        A customer is updated instead of added when one of its numbers already belongs to a
        customer of the same name (compared case-folded, spaces collapsed; the lowest id if
        several): given fields overwrite, empty ones are left alone, new numbers are added.
        Otherwise it is added, even when someone of another name has the number.
        """
        read_with = self.region(region)
        results: dict[int, ItemResult] = {}
        checked: list[tuple[int, dict[str, Any], tuple[Phone, ...]]] = []
        for index, draft in items:
            try:
                values, found = rules.check_draft(draft, read_with, creating=True)
            except Invalid as err:
                results[index] = ItemResult(index, errors=tuple(err.fields))
                continue
            checked.append((index, values, found or ()))
        agents = sorted({v["dedicated_agent_id"] for _, v, _ in checked if v.get("dedicated_agent_id")})
        async with self.db.read() as conn:
            users = await store.users_by(conn, "id", agents)
        enabled = {uid for uid, u in users.items() if not u["disabled"]}
        good = []
        for index, values, found in checked:
            if values.get("dedicated_agent_id") and values["dedicated_agent_id"] not in enabled:
                results[index] = ItemResult(index, errors=(FieldError(("dedicated_agent_id",), "not an enabled user"),))
            else:
                good.append((index, values, found))
        now = self.clock.now_ms()
        for chunk in _chunks(good):
            async with self.db.transaction() as conn:
                # Whether a number's customer exists is read before it is added: writers adding the
                # same numbers take turns (PostgreSQL runs them at once), in one order, so none waits
                # in a circle.
                for e164 in sorted({p.e164 for _, _, found in chunk for p in found}):
                    await lock_key(conn, f"customer number {e164}")
                for index, values, found in chunk:
                    customer_id, action = await _upsert(conn, values, found, now)
                    results[index] = ItemResult(index, customer_id, action)
                if audited(actor):
                    actions = [results[i].action for i, _, _ in chunk]
                    await record(conn, now, actor, "customer.bulk", "customer", None,
                                 created=actions.count("created"), updated=actions.count("updated"))
        return _merge(results, failed)

    async def add_order(
        self, actor: Actor, customer_id: int, at_ms: int, amount_cents: int, external_id: str | None = None
    ) -> StoredOrder:
        """Store one order; value scores follow at the next recompute (bulk, import, daily job or on request)."""
        if amount_cents < 0:
            raise Invalid("negative amount", [FieldError(("amount_cents",), "must not be negative")])
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            if not await store.names_of(conn, [customer_id]):
                raise NotFound("no such customer")
            order = await store.upsert_order(conn, customer_id, at_ms, amount_cents, external_id, now)
            if audited(actor):
                await record(conn, now, actor, "order.create", "customer", customer_id, order_id=order.id)
        return order

    async def _resolve(self, items: Sequence[tuple[int, OrderDraft]], region: str) -> dict[int, int | FieldError]:
        """The customer each order names by id, phone or email, or why none could be chosen."""
        numbers = {index: phones.normalize(d.customer_phone, region) for index, d in items if d.customer_phone}
        async with self.db.read() as conn:
            known = await store.names_of(conn, sorted({d.customer_id for _, d in items if d.customer_id}))
            by_phone = await store.ids_by_e164(conn, sorted({p.e164 for p in numbers.values() if p}))
            by_email = await store.ids_by_email(conn, [d.customer_email for _, d in items if d.customer_email])
        chosen: dict[int, int | FieldError] = {}
        for index, draft in items:
            if draft.customer_id is not None:
                name, ids = "customer_id", [draft.customer_id] if draft.customer_id in known else []
            elif draft.customer_phone:
                phone = numbers[index]
                name, ids = "customer_phone", by_phone.get(phone.e164, []) if phone else []
                if phone is None:
                    chosen[index] = FieldError((name,), f"not a phone number (read with region {region})")
                    continue
            elif draft.customer_email:
                name, ids = "customer_email", by_email.get(draft.customer_email.lower(), [])
            else:
                chosen[index] = FieldError(("customer_id",), "give customer_id, customer_phone or customer_email")
                continue
            if len(ids) == 1:
                chosen[index] = ids[0]
            else:
                chosen[index] = FieldError((name,), "no such customer" if not ids else "several customers match")
        return chosen

    async def bulk_orders(
        self, actor: Actor, items: Sequence[tuple[int, OrderDraft]], region: str | None = None,
        failed: Sequence[ItemResult] = (),
    ) -> list[ItemResult]:
        """Store each good order (by ``external_id`` idempotently), report each bad one, then recompute value."""
        chosen = await self._resolve(items, self.region(region))
        results: dict[int, ItemResult] = {}
        good: list[tuple[int, int, OrderDraft]] = []
        for index, draft in items:
            target = chosen[index]
            if isinstance(target, FieldError):
                results[index] = ItemResult(index, errors=(target,))
            elif draft.amount_cents < 0:
                results[index] = ItemResult(index, errors=(FieldError(("amount_cents",), "must not be negative"),))
            else:
                good.append((index, target, draft))
        now = self.clock.now_ms()
        for chunk in _chunks(good):
            async with self.db.transaction() as conn:
                for index, customer_id, draft in chunk:
                    order = await store.upsert_order(conn, customer_id, draft.at_ms, draft.amount_cents,
                                                     draft.external_id, now)
                    results[index] = ItemResult(index, order.id, "stored")
                if audited(actor):
                    await record(conn, now, actor, "order.bulk", "order", None, stored=len(chunk))
        if good:
            await self.recompute_values(now)
        return _merge(results, failed)

    async def recompute_values(self, now: int) -> int:
        """ABC tier, RFM and CLV of every customer from the orders up to ``now``; return how many changed.

        The changed values (and tiers) are written in one transaction; ``computed_at`` says when a
        customer's figures were last found to change.
        """
        async with self.db.read() as conn:
            ids = await store.all_customer_ids(conn)
        totals: dict[int, OrderTotals] = {}
        stored: dict[int, tuple[Any, ...]] = {}
        window_start = now - self.value_params.window_ms
        for chunk in _chunks(ids, TOTALS_CHUNK):
            # One read per slice of customers: screen-pop reads queue behind each, not behind all.
            async with self.db.read() as conn:
                totals.update(await store.order_totals(conn, now, window_start, chunk[0], chunk[-1]))
                stored.update(await store.stored_value_keys(conn, chunk[0], chunk[-1]))
        # Ranking a large base takes a while in Python; a thread keeps the event loop answering.
        changed = await asyncio.to_thread(_changed_values, totals, ids, self.value_params, stored)
        if changed:
            async with self.db.transaction() as conn:
                await store.write_values(conn, changed, now)
        return len(changed)

    async def daily_value_job(self, now: int) -> None:
        """The daily job: orders age out of the 12-month window, so value changes without new orders."""
        await self.recompute_values(now)
