"""Domain types of customers: profiles, phone numbers, orders, value scores and caller matches."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Tier(enum.StrEnum):
    """ABC value tier by share of trailing-12-month revenue; A is the most valuable."""

    A = "A"
    B = "B"
    C = "C"


@dataclass(frozen=True)
class Order:
    """One purchase: who bought, when (UTC epoch ms) and for how much (integer cents, never float)."""

    customer_id: int
    at_ms: int
    amount_cents: int

    def __post_init__(self) -> None:
        # Refunds are netted into the order by the importer; a negative purchase would make
        # frequency count a refund as a visit.
        if self.amount_cents < 0:
            raise ValueError(f"order amount must not be negative, got {self.amount_cents}")


@dataclass(frozen=True)
class Rfm:
    """Recency, frequency and monetary scores, each 1 (worst) to 5 (best)."""

    recency: int
    frequency: int
    monetary: int

    def __post_init__(self) -> None:
        for score in (self.recency, self.frequency, self.monetary):
            if not 1 <= score <= 5:
                raise ValueError(f"RFM scores run from 1 to 5, got {score}")


@dataclass(frozen=True)
class CustomerValue:
    """What a customer is worth to the center, as computed from orders at one moment."""

    customer_id: int
    tier: Tier
    rfm: Rfm | None
    clv_cents: int
    revenue_12m_cents: int
    orders_12m: int
    last_order_at: int | None


@dataclass(frozen=True)
class Phone:
    """A customer's phone number: E.164 plus a separate extension, with what was typed."""

    e164: str
    extension: str | None
    raw: str
    label: str | None = None


class MatchKind(enum.StrEnum):
    """How an incoming caller ID matched the customer base."""

    EXACT = "exact"
    NATIONAL = "national"
    SEVERAL = "several"
    NONE = "none"
    WITHHELD = "withheld"


@dataclass(frozen=True)
class CallerMatch:
    """The outcome of matching a caller ID: which customers, and how sure we are."""

    kind: MatchKind
    candidates: tuple[int, ...]
    region_used: str | None
    e164: str | None

    @property
    def customer_id(self) -> int | None:
        """The one matched customer, or None when there is none or the match is ambiguous."""
        if self.kind in (MatchKind.EXACT, MatchKind.NATIONAL):
            return self.candidates[0]
        return None


@dataclass(frozen=True)
class Customer:
    """A person or business that calls the center."""

    id: int
    name: str
    phones: tuple[Phone, ...]
    email: str | None
    company: str | None
    language: str | None
    timezone: str | None
    tier: Tier | None
    segment: str | None
    dedicated_agent_id: int | None
    notes: str
    created_at: int
    updated_at: int
    notes_important: bool = False


@dataclass(frozen=True)
class PhoneDraft:
    """A phone number as someone typed it, before normalisation."""

    raw: str
    label: str | None = None


@dataclass(frozen=True)
class CustomerDraft:
    """Customer fields as given by a form, an API call or an import row; None means not given."""

    name: str | None = None
    phones: tuple[PhoneDraft, ...] | None = None
    email: str | None = None
    company: str | None = None
    language: str | None = None
    timezone: str | None = None
    segment: str | None = None
    dedicated_agent_id: int | None = None
    notes: str | None = None
    notes_important: bool | None = None
    cleared: frozenset[str] = frozenset()  # fields explicitly set to null (a PATCH that empties them)


@dataclass(frozen=True)
class StoredOrder:
    """An order as stored: its id and the partner system's id, if any."""

    id: int
    customer_id: int
    external_id: str | None
    at_ms: int
    amount_cents: int
    created_at: int


@dataclass(frozen=True)
class OrderDraft:
    """An order to store; the customer is named by id, phone or email (the first one given)."""

    at_ms: int
    amount_cents: int
    customer_id: int | None = None
    customer_phone: str | None = None
    customer_email: str | None = None
    external_id: str | None = None

# What PBXs and carriers put in the caller ID when the caller hides it (telephony-formats.md §4.3).
WITHHELD_WORDS = frozenset({"", "anonymous", "unknown", "restricted", "private", "unavailable", "withheld", "blocked"})
# Carriers that pass a hidden caller ID on as the word spelt on the keypad. +266 is formally
# Lesotho, so without this deny-list every anonymous caller would merge into one "customer".
WITHHELD_SENTINELS = frozenset({"+266696687", "+86282452253", "+8656696", "+2562533", "+7378742833"})
PUNCTUATION = re.compile(r"[\s\-.()/]")


def unwrap_caller_id(raw: str) -> str:
    """Strip a display name, quotes and angle brackets, and reduce a SIP URI to its user part."""
    text = raw.strip()
    if "<" in text and text.endswith(">"):
        text = text[text.rindex("<") + 1:]  # "Name" <sip:123@host> names the number in brackets
    text = text.strip("\"'<>").strip()
    scheme, sep, rest = text.partition(":")
    if sep and scheme.lower() in ("sip", "sips"):
        text = rest.partition("@")[0].partition(";")[0]
    return text


def compact_number(text: str) -> str:
    """Drop dialling punctuation and turn a leading ``00`` into ``+``."""
    compact = PUNCTUATION.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    return compact


def is_withheld(raw: str | None) -> bool:
    """True when a caller ID says the caller hid it: empty, a word such as ``anonymous``, or a sentinel.

    ``None`` (no caller ID field sent at all) is not withheld. The words also count as words of a
    longer text, because carriers send things like "Anonymous Caller".
    """
    if raw is None:
        return False
    text = unwrap_caller_id(raw)
    lowered = text.lower()
    if lowered in WITHHELD_WORDS or lowered == "<unknown>":
        return True
    if not any(c.isdigit() for c in lowered) and WITHHELD_WORDS & set(re.split(r"[^a-z]+", lowered)) - {""}:
        return True
    if lowered.startswith("tel:"):
        text = text[4:]
    return compact_number(text) in WITHHELD_SENTINELS
