"""Checking customer and order input: every rule that needs no database, each problem named by field."""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from callcenter.customers import phones
from callcenter.customers.models import CustomerDraft, Phone, PhoneDraft
from callcenter.errors import FieldError, Invalid

MAX_PHONES = 20
_LIMITS = {"name": 200, "email": 254, "company": 200, "segment": 64, "notes": 10_000}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# BCP 47 as used in practice: language, then optional script, region and variants.
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-(?:[A-Za-z]{2}|\d{3}))?(-[A-Za-z0-9]{5,8})*$")
_NULLABLE = ("email", "company", "language", "timezone", "segment", "dedicated_agent_id")


def fold(text: str) -> str:
    """The form names are compared and searched in: NFKC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def search_key(name: str, company: str | None) -> str:
    """What a name search looks in: the folded name and company, one per line."""
    return fold(name) + ("\n" + fold(company) if company else "")


def language_tag(tag: str) -> str | None:
    """A BCP 47 tag in its canonical case (``zh-hans`` → ``zh-Hans``), or None when it is not one."""
    if not _LANGUAGE.match(tag):
        return None
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 or (len(part) == 3 and part.isdigit()):
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def known_timezone(name: str) -> bool:
    """True for an IANA zone name such as ``Asia/Shanghai``."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_region(region: str | None, default: str) -> str:
    """The region to read national numbers with: the one asked for, else the default."""
    if not region:
        return default
    if not phones.known_region(region):
        raise Invalid("unknown region", [FieldError(("region",), "an ISO 3166 region code such as CN or GB")])
    return region.upper()


def normalize_phones(drafts: tuple[PhoneDraft, ...], region: str, loc: str = "phones") -> tuple[Phone, ...]:
    """Normalise each number; duplicates (same E.164 and extension) are dropped, the first kept."""
    errors: list[FieldError] = []
    found: dict[tuple[str, str | None], Phone] = {}
    if len(drafts) > MAX_PHONES:
        errors.append(FieldError((loc,), f"at most {MAX_PHONES} numbers"))
    for i, draft in enumerate(drafts):
        label = (draft.label or "").strip()[:32] or None
        phone = phones.normalize(draft.raw, region, label)
        if phone is None:
            errors.append(FieldError((loc, i), f"not a phone number we can dial (read with region {region})"))
        else:
            found.setdefault((phone.e164, phone.extension), phone)
    if errors:
        raise Invalid("a phone number is invalid", errors)
    return tuple(found.values())


def _text(name: str, value: str, errors: list[FieldError], *, required: bool = False) -> str | None:
    text = value.strip()
    if not text:
        if required:
            errors.append(FieldError((name,), "must not be empty"))
        return None
    if len(text) > _LIMITS[name]:
        errors.append(FieldError((name,), f"at most {_LIMITS[name]} characters"))
    return text


def check_draft(
    draft: CustomerDraft, region: str, *, creating: bool
) -> tuple[dict[str, Any], tuple[Phone, ...] | None]:
    """Column values and normalised phones for the fields the draft gives; Invalid names every bad field.

    When ``creating``, a name is required; otherwise only given fields are checked, and fields in
    ``draft.cleared`` are emptied.
    """
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name in draft.cleared:
        if name in _NULLABLE:
            values[name] = None
        elif name in {"name", "notes_important"}:
            errors.append(FieldError((name,), "must not be null"))
    if draft.name is not None or creating:
        values["name"] = _text("name", draft.name or "", errors, required=True)
    for name in ("email", "company", "segment"):
        given = getattr(draft, name)
        if given is not None:
            values[name] = _text(name, given, errors)
    if values.get("email") and not _EMAIL.match(values["email"]):
        errors.append(FieldError(("email",), "not an email address"))
    if draft.notes is not None or "notes" in draft.cleared:
        values["notes"] = _text("notes", draft.notes or "", errors) or ""
    if draft.notes_important is not None:
        values["notes_important"] = draft.notes_important
    if draft.language:
        values["language"] = language_tag(draft.language.strip())
        if values["language"] is None:
            errors.append(FieldError(("language",), "a language tag such as en, zh-Hans or pt-BR"))
    if draft.timezone:
        values["timezone"] = draft.timezone.strip()
        if not known_timezone(values["timezone"]):
            errors.append(FieldError(("timezone",), "an IANA time zone such as Asia/Shanghai"))
    if draft.dedicated_agent_id is not None:
        values["dedicated_agent_id"] = draft.dedicated_agent_id
    found: tuple[Phone, ...] | None = None
    if draft.phones is not None or "phones" in draft.cleared:
        try:
            found = normalize_phones(draft.phones or (), region)
        except Invalid as err:
            errors.extend(err.fields)
    if errors:
        raise Invalid("customer is invalid", errors)
    return values, found


def parse_amount(text: str) -> int:
    """Cents from an amount such as ``1234.5`` or ``1,234.50``; ValueError when it is not one."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as err:
        raise ValueError("not a number") from err
    if not amount.is_finite() or amount < 0:
        raise ValueError("must not be negative")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError("at most two decimal places")
    return int(cents)


def parse_when(text: str) -> int:
    """Epoch ms of an ISO date or date-time; a date, or a time without offset, is read as UTC."""
    value = text.strip()
    try:
        when = datetime.fromisoformat(value) if "T" in value or " " in value else None
        if when is None:
            day = date.fromisoformat(value)
            when = datetime(day.year, day.month, day.day, tzinfo=UTC)
    except ValueError as err:
        raise ValueError("an ISO date such as 2025-06-30 or date-time") from err
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return round(when.timestamp() * 1000)
