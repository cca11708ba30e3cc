"""Request and response models of the customers API."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from callcenter.customers.models import Customer, CustomerDraft, OrderDraft, PhoneDraft, StoredOrder, Tier
from callcenter.customers.phones import format_display
from callcenter.customers.rules import parse_when
from callcenter.errors import FieldError
from callcenter.schemas import FieldProblem, PageQuery

M = TypeVar("M", bound=BaseModel)
MAX_BULK = 1000
RegionField = Field(None, min_length=2, max_length=2,
                    description="ISO region that reads national numbers; default: the server's")


class PhoneIn(BaseModel):
    """A phone number in any common format, with an optional label such as "mobile"."""

    model_config = ConfigDict(extra="forbid")

    raw: str = Field(min_length=1, max_length=64, examples=["+86 138 0013 8000", "020 7946 0958 ext. 12"])
    label: str | None = Field(None, max_length=32)


class PhoneOut(BaseModel):
    """A stored number: E.164, extension, what was typed, and how to show it."""

    e164: str
    extension: str | None
    raw: str
    label: str | None
    display: str


class _CustomerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, max_length=254)
    company: str | None = Field(None, max_length=200)
    language: str | None = Field(None, max_length=35, description="BCP 47 tag: en, zh-Hans, pt-BR …")
    timezone: str | None = Field(None, max_length=64, description="IANA zone such as Asia/Shanghai")
    segment: str | None = Field(None, max_length=64)
    dedicated_agent_id: int | None = Field(None, description="the account manager: an enabled user's id")
    region: str | None = RegionField


class CustomerCreate(_CustomerFields):
    """Create a customer; only the name is required."""

    name: str = Field(min_length=1, max_length=200)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=20)
    notes: str = Field("", max_length=10_000)
    notes_important: bool = False

    def draft(self) -> CustomerDraft:
        """The domain draft."""
        return CustomerDraft(
            name=self.name, phones=tuple(PhoneDraft(p.raw, p.label) for p in self.phones), email=self.email,
            company=self.company, language=self.language, timezone=self.timezone, segment=self.segment,
            dedicated_agent_id=self.dedicated_agent_id, notes=self.notes, notes_important=self.notes_important,
        )


class CustomerUpdate(_CustomerFields):
    """Change a customer: omitted fields stay, null empties a field, ``phones`` replaces all numbers."""

    name: str | None = Field(None, min_length=1, max_length=200)
    phones: list[PhoneIn] | None = Field(None, max_length=20)
    notes: str | None = Field(None, max_length=10_000)
    notes_important: bool | None = None

    def draft(self) -> CustomerDraft:
        """The domain draft, with the fields sent as null marked to be emptied."""
        given = self.model_fields_set - {"region"}
        return CustomerDraft(
            name=self.name,
            phones=None if self.phones is None else tuple(PhoneDraft(p.raw, p.label) for p in self.phones),
            email=self.email, company=self.company, language=self.language, timezone=self.timezone,
            segment=self.segment, dedicated_agent_id=self.dedicated_agent_id, notes=self.notes,
            notes_important=self.notes_important,
            cleared=frozenset(name for name in given if getattr(self, name) is None),
        )


class CustomerOut(BaseModel):
    """A customer as the API shows it."""

    id: int
    name: str
    phones: list[PhoneOut]
    email: str | None
    company: str | None
    language: str | None
    timezone: str | None
    segment: str | None
    tier: Tier | None
    dedicated_agent_id: int | None
    notes: str
    notes_important: bool
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, c: Customer, home_region: str) -> CustomerOut:
        """From the domain type; numbers are displayed for an agent in ``home_region``."""
        numbers = [PhoneOut(e164=p.e164, extension=p.extension, raw=p.raw, label=p.label,
                            display=format_display(p.e164, p.extension, home_region)) for p in c.phones]
        return cls(
            id=c.id, name=c.name, phones=numbers, email=c.email, company=c.company, language=c.language,
            timezone=c.timezone, segment=c.segment, tier=c.tier, dedicated_agent_id=c.dedicated_agent_id,
            notes=c.notes, notes_important=c.notes_important, created_at=c.created_at, updated_at=c.updated_at,
        )


class CustomerQuery(PageQuery):
    """Search and filters of the customer list."""

    q: str | None = Field(None, max_length=100, description="part of a name or company, or a phone number")
    tier: Tier | None = None
    dedicated_agent_id: int | None = None
    region: str | None = RegionField


class BulkCustomer(CustomerCreate):
    """One item of a bulk request: the region is given once, for the whole request."""

    region: None = None


class PhoneAdd(BaseModel):
    """Add one number to a customer (the pop's "add to existing customer")."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=1, max_length=64)
    label: str | None = Field(None, max_length=32)
    region: str | None = RegionField


class BulkCustomersIn(BaseModel):
    """Up to 1000 customers; each is stored or refused on its own."""

    model_config = ConfigDict(extra="forbid")

    region: str | None = RegionField
    items: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_BULK,
        json_schema_extra={"items": {"$ref": "#/components/schemas/CustomerCreate"}},
        description="each as the body of POST /api/customers (without region)",
    )


class BulkItemOut(BaseModel):
    """What became of one item: stored (``id``, ``action``) or refused (``errors`` name the fields)."""

    index: int
    id: int | None
    action: str | None = Field(description="created, updated or stored; null when refused")
    errors: list[FieldProblem]


class BulkOut(BaseModel):
    """The outcome of a bulk request, item by item in request order."""

    stored: int
    failed: int
    items: list[BulkItemOut]


class OrderIn(BaseModel):
    """One purchase: when and how much (in cents)."""

    model_config = ConfigDict(extra="forbid")

    at: str = Field(max_length=40, examples=["2025-06-30", "2025-06-30T10:00:00+08:00"],
                    description="ISO date or date-time; a date, or a time without offset, is UTC")
    amount_cents: int = Field(ge=0, le=10**13)
    external_id: str | None = Field(None, min_length=1, max_length=100,
                                    description="the sending system's id; sending it again updates the order")

    @field_validator("at")
    @classmethod
    def _iso(cls, value: str) -> str:
        parse_when(value)
        return value

    def at_ms(self) -> int:
        """The order time as epoch milliseconds."""
        return parse_when(self.at)


class OrderBulkItem(OrderIn):
    """An order naming its customer by id, phone or email (the first given is used)."""

    customer_id: int | None = None
    customer_phone: str | None = Field(None, max_length=64)
    customer_email: str | None = Field(None, max_length=254)

    def draft(self) -> OrderDraft:
        """The domain draft."""
        return OrderDraft(self.at_ms(), self.amount_cents, self.customer_id, self.customer_phone,
                          self.customer_email, self.external_id)


class BulkOrdersIn(BaseModel):
    """Up to 1000 orders; each is stored or refused on its own, then customer value is recomputed."""

    model_config = ConfigDict(extra="forbid")

    region: str | None = RegionField
    items: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_BULK,
        json_schema_extra={"items": OrderBulkItem.model_json_schema()},
    )


class OrderOut(BaseModel):
    """A stored order."""

    id: int
    customer_id: int
    external_id: str | None
    at: int
    amount_cents: int
    created_at: int

    @classmethod
    def of(cls, o: StoredOrder) -> OrderOut:
        """From the domain type."""
        return cls(id=o.id, customer_id=o.customer_id, external_id=o.external_id, at=o.at_ms,
                   amount_cents=o.amount_cents, created_at=o.created_at)


class RecomputeOut(BaseModel):
    """How many customers' value changed in a recomputation as of ``computed_at``."""

    changed: int
    computed_at: int


def parse_items(
    raw: list[dict[str, Any]], model: type[M]
) -> tuple[list[tuple[int, M]], list[tuple[int, list[FieldError]]]]:
    """Validate each item on its own: the good ones by index, and the problems of the bad ones."""
    good: list[tuple[int, M]] = []
    bad: list[tuple[int, list[FieldError]]] = []
    for index, item in enumerate(raw):
        try:
            good.append((index, model.model_validate(item)))
        except ValidationError as err:
            bad.append((index, [FieldError(tuple(e["loc"]), e["msg"]) for e in err.errors()]))
    return good, bad


class CardPhone(BaseModel):
    """A number on the card, with how an agent at home reads it."""

    e164: str
    extension: str | None
    label: str | None
    display: str


class TierShare(BaseModel):
    """The band of cumulative revenue the tier stands for, in percent (A: 0-80 by default)."""

    from_pct: float
    to_pct: float


class RfmOut(BaseModel):
    """Recency, frequency and monetary scores, 1 (worst) to 5 (best)."""

    r: int
    f: int
    m: int


class AgentRef(BaseModel):
    """A user named on a card."""

    id: int
    username: str
    display_name: str


class CustomerCard(BaseModel):
    """What the screen pop shows of a customer: profile, numbers, value and dedicated agent."""

    id: int
    name: str
    company: str | None
    email: str | None
    language: str | None
    timezone: str | None
    segment: str | None
    notes: str
    notes_important: bool
    phones: list[CardPhone]
    tier: Tier | None
    tier_share: TierShare | None
    rfm: RfmOut | None
    clv_cents: int
    revenue_12m_cents: int
    orders_12m: int
    last_order_at: int | None
    value_computed_at: int | None
    dedicated_agent: AgentRef | None
