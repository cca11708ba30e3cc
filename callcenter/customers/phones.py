"""Phone numbers with ``phonenumbers``: normalising to E.164, withheld caller IDs, matching, masking."""

from __future__ import annotations

import collections
import contextlib
import copy
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import phonenumbers as pn

from callcenter.customers.models import (
    PUNCTUATION,
    WITHHELD_SENTINELS,
    WITHHELD_WORDS,
    CallerMatch,
    MatchKind,
    Phone,
    is_withheld,
    unwrap_caller_id,
)

__all__ = ["WITHHELD_SENTINELS", "WITHHELD_WORDS", "is_withheld"]

_INTERNATIONAL_SOURCES = frozenset(
    {pn.CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN, pn.CountryCodeSource.FROM_NUMBER_WITH_IDD}
)


@dataclass(frozen=True, slots=True)
class _Reading:
    """What a number read as: E.164, its extension, and whether the default region was needed.

    Small on purpose (no parsed object kept): a day's distinct callers are cached.
    """

    e164: str
    extension: str | None
    national: bool


# Readings and formatted numbers are small: enough of them are kept for a day's distinct callers,
# so a returning caller's number is never parsed again (a cold one costs ~0.1 ms of parsing and
# formatting, paid inside the write that stores a call's first event).
FORMATTED_CACHE = 16384


def _parse(text: str, region: str | None) -> Any | None:
    try:
        return pn.parse(text, region, keep_raw_input=True)
    except pn.NumberParseException:
        return None


@functools.lru_cache(maxsize=FORMATTED_CACHE)
def _read(raw: str, region: str | None) -> _Reading | None:
    """The one reading of a caller ID or typed number we trust, or None.

    Cached: a call's events repeat its numbers, matching reads each number twice, and callers
    call again.
    """
    if is_withheld(raw):
        return None
    text = unwrap_caller_id(raw)
    if text.lower().startswith("client:"):
        # A Twilio browser client is one of our agents, never a customer's phone.
        return None
    region = region.upper() if region else None
    # phonenumbers reads 00 as an international prefix only where it is the region's IDD
    # (not in the US, for one); PBXs send it everywhere.
    if text.startswith("00"):
        text = "+" + text[2:]
    reading = _accept(_parse(text, region))
    if reading is not None:
        return reading
    digits = PUNCTUATION.sub("", text)
    if digits.isdigit() and not digits.startswith("0"):
        # sipgate and Zammad-style PBXs send international digits without "+"; try that reading
        # only when the regional one failed, and trust it only when the metadata knows the range.
        number = _parse("+" + digits, None)
        if number is not None and pn.is_valid_number(number):
            return _accept(number)
    return None


def _accept(number: Any | None) -> _Reading | None:
    if number is None:
        return None
    e164 = str(pn.format_number(number, pn.PhoneNumberFormat.E164))
    if e164 in WITHHELD_SENTINELS:
        return None
    national = number.country_code_source not in _INTERNATIONAL_SOURCES
    if national:
        # A national-form number the metadata does not know is far more often an internal
        # extension ("1001") or a local number missing its area code than a brand-new range.
        ok = bool(pn.is_valid_number(number))
    else:
        # Given with its country code, a number of possible length is believed even when the
        # metadata lags behind newly opened ranges.
        ok = pn.is_possible_number_with_reason(number) == pn.ValidationResult.IS_POSSIBLE
    if not ok:
        return None
    _remember_parse(e164, number)
    return _Reading(e164, number.extension or None, national)


def normalize(raw: str, region: str | None, label: str | None = None) -> Phone | None:
    """E.164 and extension of a typed or received number, or None if withheld or not a usable number.

    ``region`` (ISO 3166 code such as ``"CN"``) reads national forms; ``00`` and ``+`` are read
    as international prefixes everywhere. The extension (``ext. 12``, ``x12``, ``#12``,
    ``,12``, ``;ext=12``) is kept apart because E.164 has no room for it.
    """
    reading = _read(raw, region)
    if reading is None:
        return None
    return Phone(e164=reading.e164, extension=reading.extension, raw=raw, label=label)


def match_keys(raw: str, region: str | None) -> list[str]:
    """E.164 strings under which to look the caller up; empty when withheld or unusable."""
    reading = _read(raw, region)
    return [] if reading is None else [reading.e164]


def decide_match(raw: str, region: str | None, candidates_by_e164: Mapping[str, Sequence[int]]) -> CallerMatch:
    """Decide whom a caller ID belongs to, given the customers found under each of its match keys.

    Withheld numbers never match. One customer is an ``exact`` match when the number came with
    its country code and a ``national`` one when ``region`` had to supply it; two or more are
    ``several`` and listed in id order without a pick, since guessing would show an agent the
    wrong customer's history.
    """
    if is_withheld(raw):
        return CallerMatch(MatchKind.WITHHELD, (), None, None)
    reading = _read(raw, region)
    if reading is None:
        return CallerMatch(MatchKind.NONE, (), None, None)
    region_used = region.upper() if reading.national and region else None
    found = tuple(sorted(set(candidates_by_e164.get(reading.e164, ()))))
    if not found:
        kind = MatchKind.NONE
    elif len(found) > 1:
        kind = MatchKind.SEVERAL
    else:
        kind = MatchKind.NATIONAL if reading.national else MatchKind.EXACT
    return CallerMatch(kind, found, region_used, reading.e164)


@dataclass(frozen=True, slots=True)
class _Forms:
    """A number's written forms, made from one parse: its region, national and international form."""

    region: str | None
    national: str
    international: str


# Numbers just read (a caller being matched), as parsed: formatting them for the pop comes next
# and needs no second parse. A few are enough; ``popitem`` keeps this safe across threads.
RECENT_PARSES = 256
_recent: collections.OrderedDict[str, Any] = collections.OrderedDict()


def _remember_parse(e164: str, number: Any) -> None:
    _recent[e164] = number
    if len(_recent) > RECENT_PARSES:
        with contextlib.suppress(KeyError):
            _recent.popitem(last=False)


@functools.lru_cache(maxsize=FORMATTED_CACHE)
def _forms(e164: str) -> _Forms | None:
    """The forms of a stored E.164 number (None when it does not parse); each number is parsed and
    formatted once, for the caller card, the supervisor's mask and the customer card alike."""
    number = _recent.get(e164)
    if number is None:
        number = _parse(e164, None)
    if number is None:
        return None
    if number.extension:
        number = copy.copy(number)
        number.extension = None
    region = pn.region_code_for_number(number)
    return _Forms(str(region) if region and region != "ZZ" else None,
                  str(pn.format_number(number, pn.PhoneNumberFormat.NATIONAL)),
                  str(pn.format_number(number, pn.PhoneNumberFormat.INTERNATIONAL)))


@functools.lru_cache(maxsize=FORMATTED_CACHE)
def _with_extension(e164: str, extension: str, style: Any) -> str:
    number = _parse(e164, None)
    if number is None:
        return e164
    number.extension = extension
    return str(pn.format_number(number, style))


@functools.lru_cache(maxsize=FORMATTED_CACHE)
def mask(e164: str) -> str:
    """Number for supervisors: country code, first group and last four digits, e.g. ``+44 20 **** 0958``."""
    forms = _forms(e164)
    if forms is None:
        digits = re.sub(r"\D", "", e164)
        if not digits:
            # Not a number at all ("anonymous"): there is nothing to hide.
            return e164
        return "*" * (len(digits) - 4) + digits[-4:] if len(digits) > 8 else "****"
    groups = re.findall(r"\d+", forms.international)
    head = ["+" + groups[0]]
    rest = groups[1:]
    if len(rest) >= 2:
        head.append(rest[0])
        rest = rest[1:]
    tail = "".join(rest)
    shown = tail[-4:] if len(tail) > 4 else ""
    parts = [*head, "*" * (len(tail) - len(shown))]
    if shown:
        parts.append(shown)
    return " ".join(parts)


def format_national(e164: str, extension: str | None = None) -> str:
    """The number as dialled inside its own country, e.g. ``020 7946 0958``; unparseable input unchanged."""
    if extension:
        return _with_extension(e164, extension, pn.PhoneNumberFormat.NATIONAL)
    forms = _forms(e164)
    return forms.national if forms is not None else e164


def known_region(region: str) -> bool:
    """True for an ISO 3166 region code that ``phonenumbers`` has numbering metadata for, e.g. ``CN``."""
    return region.upper() in pn.SUPPORTED_REGIONS


def format_display(e164: str, extension: str | None, home_region: str | None) -> str:
    """How an agent reads a number: national form at home, international form for other countries."""
    forms = _forms(e164)
    if forms is None:
        return e164
    home = bool(home_region) and forms.region == (home_region or "").upper()
    if extension:
        style = pn.PhoneNumberFormat.NATIONAL if home else pn.PhoneNumberFormat.INTERNATIONAL
        return _with_extension(e164, extension, style)
    return forms.national if home else forms.international


def region_of(e164: str) -> str | None:
    """The ISO region a number belongs to (``+44 20…`` → ``GB``), or None when it has none."""
    forms = _forms(e164)
    return forms.region if forms is not None else None
