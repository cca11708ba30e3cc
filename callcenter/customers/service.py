"""Customers: profiles and phone numbers, search, caller matching and the screen-pop card."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from callcenter.accounts.models import Actor
from callcenter.audit.service import record
from callcenter.clock import Clock
from callcenter.customers import phones, rules, store
from callcenter.customers.bulk import BulkWriter, ItemResult, audited, check_agent, insert_customer
from callcenter.customers.models import CallerMatch, Customer, CustomerDraft, Phone, PhoneDraft, StoredOrder, Tier
from callcenter.customers.value import ValueParams
from callcenter.db import Conn, Database, Row
from callcenter.errors import FieldError, Invalid, NotFound
from callcenter.settings import Settings

__all__ = ["CustomerService", "ItemResult"]

_PHONE_LIKE = re.compile(r"^[\d\s+\-().]+$")
MIN_SUFFIX_DIGITS = 4


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def value_params(settings: Settings) -> ValueParams:
    """The value model from settings (``CALLCENTER_VALUE_*``), with its defaults for any not set."""
    return ValueParams(discount_rate=settings.value_discount_rate, years=settings.value_years,
                       margin=settings.value_margin)


class CustomerService(BulkWriter):
    """Everything about who calls: profiles, numbers, orders, value, and matching a caller ID."""

    def __init__(
        self, db: Database, clock: Clock, default_region: str, value_params: ValueParams | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.default_region = default_region.upper()
        self.value_params = value_params or ValueParams()

    async def create(self, actor: Actor, draft: CustomerDraft, region: str | None = None) -> Customer:
        """Add a customer; a name is required, every other field is optional."""
        values, found = rules.check_draft(draft, self.region(region), creating=True)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            await check_agent(conn, values.get("dedicated_agent_id"))
            customer_id = await insert_customer(conn, values, found or (), now)
            if audited(actor):
                await record(conn, now, actor, "customer.create", "customer", customer_id, name=values["name"])
            customer = await store.get_customer(conn, customer_id)
        assert customer is not None
        return customer

    async def get(self, customer_id: int) -> Customer:
        """One customer, or NotFound."""
        async with self.db.read() as conn:
            customer = await store.get_customer(conn, customer_id)
        if customer is None:
            raise NotFound("no such customer")
        return customer

    async def update(
        self, actor: Actor, customer_id: int, draft: CustomerDraft, region: str | None = None
    ) -> Customer:
        """Change the fields the draft gives; given phones replace the customer's numbers as a set."""
        values, found = rules.check_draft(draft, self.region(region), creating=False)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            current = await store.get_customer(conn, customer_id)
            if current is None:
                raise NotFound("no such customer")
            await check_agent(conn, values.get("dedicated_agent_id"))
            if "name" in values or "company" in values:
                values["search_key"] = rules.search_key(
                    values.get("name", current.name), values.get("company", current.company)
                )
            if values or found is not None:
                await store.update_customer(conn, customer_id, values, now)
            if found is not None:
                await store.replace_phones(conn, customer_id, found)
            if audited(actor):
                detail = {k: v for k, v in values.items() if k != "search_key"}
                if found is not None:
                    detail["phones"] = [p.e164 for p in found]
                await record(conn, now, actor, "customer.update", "customer", customer_id, **detail)
            customer = await store.get_customer(conn, customer_id)
        assert customer is not None
        return customer

    async def quick_create(
        self, actor: Actor, name: str, phone_raw: str, region: str | None, language: str | None = None,
        company: str | None = None,
    ) -> Customer:
        """The new-caller card's one-step creation: a name and the number that called."""
        draft = CustomerDraft(name=name, phones=(PhoneDraft(phone_raw),), language=language, company=company)
        try:
            return await self.create(actor, draft, region)
        except Invalid as err:
            # The card has one number field; name it as the card does.
            err.fields = [FieldError(("phone",), f.msg) if f.loc[0] == "phones" else f for f in err.fields]
            raise

    async def add_phone(
        self, actor: Actor, customer_id: int, phone_raw: str, region: str | None, label: str | None = None
    ) -> Customer:
        """Add a number to an existing customer ("add to existing customer" in the pop); a known one is kept."""
        try:
            (phone,) = rules.normalize_phones((PhoneDraft(phone_raw, label),), self.region(region))
        except Invalid as err:
            raise Invalid("not a phone number", [FieldError(("phone",), f.msg) for f in err.fields]) from err
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            current = await store.get_customer(conn, customer_id)
            if current is None:
                raise NotFound("no such customer")
            if all((p.e164, p.extension) != (phone.e164, phone.extension) for p in current.phones):
                await store.insert_phones(conn, customer_id, [phone], len(current.phones))
                await store.update_customer(conn, customer_id, {}, now)
                if audited(actor):
                    await record(conn, now, actor, "customer.add_phone", "customer", customer_id, e164=phone.e164)
            customer = await store.get_customer(conn, customer_id)
        assert customer is not None
        return customer

    async def search(
        self, *, q: str | None = None, region: str | None = None, tier: Tier | None = None,
        dedicated_agent_id: int | None = None, after_id: int = 0, limit: int = 50,
    ) -> list[Customer]:
        """Customers by id, one page: ``q`` is part of a name or company, or a number in any format.

        A number is normalised with ``region`` (else the default) and matched exactly; its digits
        (at least four, as typed and without leading zeros) also match the end of stored numbers,
        so the last digits, or a national form from another country, find it too.
        """
        terms: dict[str, Any] = {}
        text = (q or "").strip()
        if text:
            terms["like"] = _like(rules.fold(text))
            if _PHONE_LIKE.match(text):
                phone = phones.normalize(text, self.region(region))
                terms["e164"] = phone.e164 if phone else None
                digits = re.sub(r"\D", "", text)
                # As typed ("0958", the last digits), and without a trunk or international prefix.
                terms["suffixes"] = sorted({d for d in (digits, digits.lstrip("0")) if len(d) >= MIN_SUFFIX_DIGITS})
        async with self.db.read() as conn:
            return await store.list_customers(
                conn, after_id=after_id, limit=limit, tier=tier, agent_id=dedicated_agent_id, **terms
            )

    async def match(self, raw: str, region: str | None) -> CallerMatch:
        """Whom a caller ID belongs to (one indexed read): exact, national, several, none or withheld."""
        return await self.db.run_read(lambda conn: self.match_in(conn, raw, region))

    async def match_in(self, conn: Conn, raw: str, region: str | None) -> CallerMatch:
        """``match`` on a connection the caller holds (the screen pop reads everything in one batch)."""
        region = (region or self.default_region).upper()
        keys = phones.match_keys(raw, region)
        found = await store.ids_by_e164(conn, keys) if keys else {}
        return phones.decide_match(raw, region, found)

    async def cards(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """The screen-pop card of each existing customer, in the order asked (two indexed reads).

        Each card is JSON-ready::

            {id, name, company, email, language, timezone, segment, notes, notes_important,
             phones: [{e164, extension, label, display}],   # display: national at home, else international
             tier: "A"|"B"|"C"|null,
             tier_share: {from_pct, to_pct}|null,   # the tier's band of cumulative revenue, A = 0-80
             rfm: {r, f, m}|null,                   # 1-5 each; null without orders
             clv_cents, revenue_12m_cents, orders_12m, last_order_at (epoch ms|null),
             value_computed_at (epoch ms|null: when these figures last changed),
             dedicated_agent: {id, username, display_name}|null}
        """
        return await self.db.run_read(lambda conn: self.cards_in(conn, ids))

    async def cards_in(self, conn: Conn, ids: Sequence[int]) -> list[dict[str, Any]]:
        """``cards`` on a connection the caller holds."""
        wanted = list(dict.fromkeys(ids))
        rows = await store.card_rows(conn, wanted)
        numbers = await store.phones_of(conn, [r["id"] for r in rows])
        by_id = {r["id"]: r for r in rows}
        return [self._card(by_id[cid], numbers[cid]) for cid in wanted if cid in by_id]

    def _card(self, row: Row, numbers: Sequence[Phone]) -> dict[str, Any]:
        agent = None
        if row["dedicated_agent_id"] is not None:
            agent = {"id": row["dedicated_agent_id"], "username": row["agent_username"],
                     "display_name": row["agent_display_name"]}
        return {
            "id": row["id"], "name": row["name"], "company": row["company"], "email": row["email"],
            "language": row["language"], "timezone": row["timezone"], "segment": row["segment"],
            "notes": row["notes"], "notes_important": bool(row["notes_important"]),
            "phones": [{"e164": p.e164, "extension": p.extension, "label": p.label,
                        "display": phones.format_display(p.e164, p.extension, self.default_region)}
                       for p in numbers],
            "tier": row["tier"], "tier_share": self.tier_share(row["tier"]),
            "rfm": {"r": row["r"], "f": row["f"], "m": row["m"]} if row["r"] is not None else None,
            "clv_cents": row["clv_cents"] or 0, "revenue_12m_cents": row["revenue_12m_cents"] or 0,
            "orders_12m": row["orders_12m"] or 0, "last_order_at": row["last_order_at"],
            "value_computed_at": row["computed_at"], "dedicated_agent": agent,
        }

    def tier_share(self, tier: str | None) -> dict[str, float] | None:
        """The band of cumulative revenue a tier stands for, in percent: A is 0-80 with the defaults."""
        params = self.value_params
        bands = {"A": (0.0, params.a_share), "B": (params.a_share, params.b_share), "C": (params.b_share, 1.0)}
        if tier not in bands:
            return None
        low, high = bands[tier]
        return {"from_pct": round(low * 100, 2), "to_pct": round(high * 100, 2)}

    async def latest_orders(self, customer_id: int, limit: int = 20) -> list[StoredOrder]:
        """A customer's most recent orders, newest first."""
        async with self.db.read() as conn:
            return await store.latest_orders(conn, customer_id, limit)

    async def list_orders(self, customer_id: int, *, after_id: int = 0, limit: int = 50) -> list[StoredOrder]:
        """A customer's orders by id, one page; NotFound for an unknown customer."""
        async with self.db.read() as conn:
            if not await store.names_of(conn, [customer_id]):
                raise NotFound("no such customer")
            return await store.list_orders(conn, customer_id, after_id=after_id, limit=limit)

    async def agent_ids(self, usernames: Sequence[str]) -> dict[str, int]:
        """Enabled users by username, for imports that name dedicated agents."""
        async with self.db.read() as conn:
            users = await store.users_by(conn, "username", list(dict.fromkeys(usernames)))
        return {name: u["id"] for name, u in users.items() if not u["disabled"]}
