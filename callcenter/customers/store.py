"""SQL for customers, their phone numbers, orders and stored value scores."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from callcenter.customers.models import Customer, CustomerValue, Phone, StoredOrder, Tier
from callcenter.customers.value import OrderTotals
from callcenter.db import Conn, Row

_COLS = ("c.id, c.name, c.email, c.company, c.language, c.timezone, c.tier, c.segment, c.dedicated_agent_id,"
         " c.notes, c.notes_important, c.created_at, c.updated_at")
_WRITABLE = {"name", "search_key", "email", "company", "language", "timezone", "segment", "dedicated_agent_id",
             "notes", "notes_important", "tier"}
_ORDER_COLS = "id, customer_id, external_id, at_ms, amount_cents, created_at"


def _marks(items: Sequence[object]) -> str:
    return ", ".join("?" * len(items))


def _customer(row: Row, phones: Sequence[Phone]) -> Customer:
    return Customer(
        id=row["id"], name=row["name"], phones=tuple(phones), email=row["email"], company=row["company"],
        language=row["language"], timezone=row["timezone"], tier=Tier(row["tier"]) if row["tier"] else None,
        segment=row["segment"], dedicated_agent_id=row["dedicated_agent_id"], notes=row["notes"],
        created_at=row["created_at"], updated_at=row["updated_at"], notes_important=bool(row["notes_important"]),
    )


def _order(row: Row) -> StoredOrder:
    return StoredOrder(row["id"], row["customer_id"], row["external_id"], row["at_ms"], row["amount_cents"],
                       row["created_at"])


async def insert_customer(conn: Conn, values: Mapping[str, Any], now: int) -> int:
    """Insert a customer from column values; return its id."""
    if not set(values) <= _WRITABLE:
        raise ValueError(f"cannot write {set(values) - _WRITABLE}")
    names = [*values, "created_at", "updated_at"]
    row = await conn.fetchone(
        f"INSERT INTO customers ({', '.join(names)}) VALUES ({_marks(names)}) RETURNING id",
        (*values.values(), now, now),
    )
    assert row is not None
    return int(row["id"])


async def update_customer(conn: Conn, customer_id: int, values: Mapping[str, Any], now: int) -> bool:
    """Set the given columns of one customer; False when there is no such customer."""
    if not set(values) <= _WRITABLE:
        raise ValueError(f"cannot write {set(values) - _WRITABLE}")
    sets = "".join(f"{k} = ?, " for k in values)
    changed = await conn.execute(
        f"UPDATE customers SET {sets}updated_at = ? WHERE id = ?", (*values.values(), now, customer_id)
    )
    return changed == 1


async def insert_phones(conn: Conn, customer_id: int, phones: Iterable[Phone], first_position: int = 0) -> None:
    """Add numbers to a customer, numbered from ``first_position``."""
    await conn.executemany(
        "INSERT INTO customer_phones (customer_id, position, e164, extension, raw, label) VALUES (?, ?, ?, ?, ?, ?)",
        [(customer_id, first_position + i, p.e164, p.extension, p.raw, p.label) for i, p in enumerate(phones)],
    )


async def replace_phones(conn: Conn, customer_id: int, phones: Iterable[Phone]) -> None:
    """Make a customer's numbers exactly these, in this order."""
    await conn.execute("DELETE FROM customer_phones WHERE customer_id = ?", (customer_id,))
    await insert_phones(conn, customer_id, phones)


async def phones_of(conn: Conn, customer_ids: Sequence[int]) -> dict[int, list[Phone]]:
    """The numbers of each customer, in their order."""
    found: dict[int, list[Phone]] = {cid: [] for cid in customer_ids}
    if not customer_ids:
        return found
    rows = await conn.fetchall(
        "SELECT customer_id, e164, extension, raw, label FROM customer_phones"
        f" WHERE customer_id IN ({_marks(customer_ids)}) ORDER BY customer_id, position",
        tuple(customer_ids),
    )
    for r in rows:
        found[r["customer_id"]].append(Phone(r["e164"], r["extension"], r["raw"], r["label"]))
    return found


async def get_customers(conn: Conn, customer_ids: Sequence[int]) -> list[Customer]:
    """The customers with these ids that exist, in id order, with their numbers."""
    if not customer_ids:
        return []
    rows = await conn.fetchall(
        f"SELECT {_COLS} FROM customers c WHERE c.id IN ({_marks(customer_ids)}) ORDER BY c.id", tuple(customer_ids)
    )
    phones = await phones_of(conn, [r["id"] for r in rows])
    return [_customer(r, phones[r["id"]]) for r in rows]


async def get_customer(conn: Conn, customer_id: int) -> Customer | None:
    """One customer with their numbers."""
    found = await get_customers(conn, [customer_id])
    return found[0] if found else None


async def list_customers(
    conn: Conn, *, after_id: int, limit: int, like: str | None = None, e164: str | None = None,
    suffixes: Sequence[str] = (), tier: Tier | None = None, agent_id: int | None = None,
) -> list[Customer]:
    """Customers by id after a keyset cursor; ``like``, ``e164`` and ``suffixes`` are alternatives (any may match)."""
    where = ["c.id > ?"]
    params: list[object] = [after_id]
    either: list[str] = []
    if like is not None:
        either.append("c.search_key LIKE ? ESCAPE '\\'")
        params.append(like)
    if e164 is not None:
        either.append("c.id IN (SELECT customer_id FROM customer_phones WHERE e164 = ?)")
        params.append(e164)
    for suffix in suffixes:
        either.append("c.id IN (SELECT customer_id FROM customer_phones WHERE e164 LIKE ?)")
        params.append("%" + suffix)
    if either:
        where.append("(" + " OR ".join(either) + ")")
    if tier is not None:
        where.append("c.tier = ?")
        params.append(tier.value)
    if agent_id is not None:
        where.append("c.dedicated_agent_id = ?")
        params.append(agent_id)
    rows = await conn.fetchall(
        f"SELECT {_COLS} FROM customers c WHERE {' AND '.join(where)} ORDER BY c.id LIMIT ?", (*params, limit)
    )
    phones = await phones_of(conn, [r["id"] for r in rows])
    return [_customer(r, phones[r["id"]]) for r in rows]


async def ids_by_e164(conn: Conn, e164s: Sequence[str]) -> dict[str, list[int]]:
    """The customers that have each number (any extension), in id order."""
    found: dict[str, list[int]] = {}
    if not e164s:
        return found
    rows = await conn.fetchall(
        f"SELECT DISTINCT e164, customer_id FROM customer_phones WHERE e164 IN ({_marks(e164s)})"
        " ORDER BY e164, customer_id",
        tuple(e164s),
    )
    for r in rows:
        found.setdefault(r["e164"], []).append(r["customer_id"])
    return found


async def ids_by_email(conn: Conn, emails: Sequence[str]) -> dict[str, list[int]]:
    """The customers with each email address (compared in lower case), in id order."""
    wanted = sorted({e.lower() for e in emails})
    if not wanted:
        return {}
    rows = await conn.fetchall(
        f"SELECT LOWER(email) AS email, id FROM customers WHERE LOWER(email) IN ({_marks(wanted)}) ORDER BY id",
        tuple(wanted),
    )
    found: dict[str, list[int]] = {}
    for r in rows:
        found.setdefault(r["email"], []).append(r["id"])
    return found


async def names_of(conn: Conn, customer_ids: Sequence[int]) -> dict[int, str]:
    """The name of each customer."""
    if not customer_ids:
        return {}
    rows = await conn.fetchall(f"SELECT id, name FROM customers WHERE id IN ({_marks(customer_ids)})",
                               tuple(customer_ids))
    return {r["id"]: r["name"] for r in rows}


async def users_by(conn: Conn, column: str, keys: Sequence[object]) -> dict[Any, Row]:
    """Users (id, username, display_name, disabled) by id or username."""
    if column not in {"id", "username"}:
        raise ValueError(column)
    if not keys:
        return {}
    rows = await conn.fetchall(
        f"SELECT id, username, display_name, disabled FROM users WHERE {column} IN ({_marks(keys)})", tuple(keys)
    )
    return {r[column]: r for r in rows}


async def upsert_order(
    conn: Conn, customer_id: int, at_ms: int, amount_cents: int, external_id: str | None, now: int
) -> StoredOrder:
    """Store an order; one with a known ``external_id`` is updated in place."""
    row = await conn.fetchone(
        "INSERT INTO orders (customer_id, external_id, at_ms, amount_cents, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (external_id) DO UPDATE SET customer_id = excluded.customer_id, at_ms = excluded.at_ms,"
        f" amount_cents = excluded.amount_cents RETURNING {_ORDER_COLS}",
        (customer_id, external_id, at_ms, amount_cents, now),
    )
    assert row is not None
    return _order(row)


async def list_orders(conn: Conn, customer_id: int, *, after_id: int, limit: int) -> list[StoredOrder]:
    """A customer's orders by id after a keyset cursor."""
    rows = await conn.fetchall(
        f"SELECT {_ORDER_COLS} FROM orders WHERE customer_id = ? AND id > ? ORDER BY id LIMIT ?",
        (customer_id, after_id, limit),
    )
    return [_order(r) for r in rows]


async def latest_orders(conn: Conn, customer_id: int, limit: int) -> list[StoredOrder]:
    """A customer's most recent orders, newest first."""
    rows = await conn.fetchall(
        f"SELECT {_ORDER_COLS} FROM orders WHERE customer_id = ? ORDER BY at_ms DESC, id DESC LIMIT ?",
        (customer_id, limit),
    )
    return [_order(r) for r in rows]


async def all_customer_ids(conn: Conn) -> list[int]:
    """Every customer's id, in order."""
    return [r["id"] for r in await conn.fetchall("SELECT id FROM customers ORDER BY id")]


async def order_totals(
    conn: Conn, now: int, window_start: int, first_id: int, last_id: int
) -> dict[int, OrderTotals]:
    """The sums value scores need, for customers ``first_id``..``last_id``, over orders up to ``now``."""
    rows = await conn.fetchall(
        "SELECT customer_id, MAX(at_ms) AS last_at, COUNT(*) AS n, SUM(amount_cents) AS total,"
        " SUM(CASE WHEN at_ms >= ? THEN 1 ELSE 0 END) AS wn,"
        " SUM(CASE WHEN at_ms >= ? THEN amount_cents ELSE 0 END) AS wtotal"
        " FROM orders WHERE customer_id BETWEEN ? AND ? AND at_ms <= ? GROUP BY customer_id",
        (window_start, window_start, first_id, last_id, now),
    )
    return {
        r["customer_id"]: OrderTotals(int(r["last_at"]), int(r["n"]), int(r["total"]), int(r["wn"]), int(r["wtotal"]))
        for r in rows
    }


def value_key(v: CustomerValue) -> tuple[Any, ...]:
    """What a stored value row says, to tell whether a recomputation changed it."""
    rfm = (v.rfm.recency, v.rfm.frequency, v.rfm.monetary) if v.rfm else (None, None, None)
    return (v.tier.value, *rfm, v.clv_cents, v.revenue_12m_cents, v.orders_12m, v.last_order_at)


async def stored_value_keys(conn: Conn, first_id: int, last_id: int) -> dict[int, tuple[Any, ...]]:
    """The stored values of customers ``first_id``..``last_id``, as :func:`value_key` gives them."""
    rows = await conn.fetchall(
        "SELECT customer_id, tier, r, f, m, clv_cents, revenue_12m_cents, orders_12m, last_order_at"
        " FROM customer_values WHERE customer_id BETWEEN ? AND ?",
        (first_id, last_id),
    )
    return {r["customer_id"]: tuple(list(r.values())[1:]) for r in rows}


async def write_values(conn: Conn, values: Iterable[CustomerValue], now: int) -> None:
    """Store computed values and copy each tier onto its customer."""
    rows = list(values)
    await conn.executemany(
        "INSERT INTO customer_values (customer_id, tier, r, f, m, clv_cents, revenue_12m_cents, orders_12m,"
        " last_order_at, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (customer_id) DO UPDATE SET"
        " tier = excluded.tier, r = excluded.r, f = excluded.f, m = excluded.m, clv_cents = excluded.clv_cents,"
        " revenue_12m_cents = excluded.revenue_12m_cents, orders_12m = excluded.orders_12m,"
        " last_order_at = excluded.last_order_at, computed_at = excluded.computed_at",
        [
            (v.customer_id, v.tier.value, v.rfm.recency if v.rfm else None, v.rfm.frequency if v.rfm else None,
             v.rfm.monetary if v.rfm else None, v.clv_cents, v.revenue_12m_cents, v.orders_12m, v.last_order_at, now)
            for v in rows
        ],
    )
    await conn.executemany(
        "UPDATE customers SET tier = ? WHERE id = ? AND (tier IS NULL OR tier <> ?)",
        [(v.tier.value, v.customer_id, v.tier.value) for v in rows],
    )


async def card_rows(conn: Conn, customer_ids: Sequence[int]) -> list[Row]:
    """Customers with their stored value and dedicated agent, for screen-pop cards."""
    if not customer_ids:
        return []
    return await conn.fetchall(
        f"SELECT {_COLS}, v.r, v.f, v.m, v.clv_cents, v.revenue_12m_cents, v.orders_12m, v.last_order_at,"
        " v.computed_at, u.username AS agent_username, u.display_name AS agent_display_name"
        " FROM customers c LEFT JOIN customer_values v ON v.customer_id = c.id"
        f" LEFT JOIN users u ON u.id = c.dedicated_agent_id WHERE c.id IN ({_marks(customer_ids)})",
        tuple(customer_ids),
    )
