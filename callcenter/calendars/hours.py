"""Opening-hours arithmetic on calendars, in UTC epoch milliseconds, exact across DST changes and holidays.

The rule: a calendar is open at an instant when the wall clock in the calendar's timezone shows a
working day and a time inside one of that day's slots. A slot covers exactly the instants whose
local reading falls inside it, so on a spring-forward day the skipped wall times never happen (a
01:00–03:00 slot in Europe/London lasts one hour on 2026-03-29) and on a fall-back day the repeated
wall times happen twice (the same slot lasts three hours on 2026-10-25). A slot ending at 00:00
runs to the end of its day; slots that touch across midnight form one open stretch.

A day is a working day unless it is a custom closed day or a public holiday of the calendar's
country (and subdivision). A custom open day works even on a holiday, with its weekday's slots, or,
when its weekday has none (a working Saturday), with the slots of the first weekday that has any.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

from callcenter.calendars.models import DAY_S, Calendar, CalendarError

HORIZON_MS = 400 * DAY_S * 1000
_DAY_MS = DAY_S * 1000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# UTC offsets are sampled this often and bisected where they differ; no zone in tzdata since 1900
# changes its offset twice within twelve hours, so no change can hide between two samples.
_SAMPLE_S = 6 * 3600

Span = tuple[int, int]


@dataclass(frozen=True)
class _Plan:
    """A calendar compiled for lookups: merged (start_s, end_s) spans per weekday and date sets."""

    zone: ZoneInfo
    week: tuple[tuple[Span, ...], ...]
    fallback: tuple[Span, ...]
    country: str | None
    subdivision: str | None
    closed: frozenset[date]
    opened: frozenset[date]


def _merge(spans: Sequence[Span]) -> tuple[Span, ...]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


@functools.lru_cache(maxsize=1024)
def _plan(calendar: Calendar) -> _Plan:
    # Calendars are frozen and hashable, so the routing hot path compiles each one once.
    week = tuple(_merge([(s.start_s, s.end_s) for s in calendar.slots if s.weekday == day]) for day in range(7))
    fallback = next((spans for spans in week if spans), ())
    return _Plan(ZoneInfo(calendar.timezone), week, fallback, calendar.holiday_country,
                 calendar.holiday_subdivision, frozenset(calendar.custom_closed), frozenset(calendar.custom_open))


@functools.lru_cache(maxsize=512)
def _languages(country: str) -> tuple[str | None, tuple[str, ...]]:
    sample = holidays.country_holidays(country, years=())
    return sample.default_language, tuple(sample.supported_languages)


def _language(country: str, wanted: str) -> str | None:
    """The holidays package's language code nearest to a UI language such as ``en`` or ``zh-Hans``."""
    default, supported = _languages(country)
    if not supported:
        return None
    code = wanted.replace("-", "_")
    base = code.split("_")[0].lower()
    preferred = {"zh_Hans": ("zh_CN",), "zh_Hant": ("zh_TW",), "zh": ("zh_CN", "zh_TW")}.get(code, (code,))
    for choice in preferred:
        if choice in supported:
            return choice
    # The country's own variant first: "en" in Britain means en_GB.
    candidates = [default, *supported] if default else list(supported)
    for prefix in (base, "en"):
        for choice in candidates:
            if choice and choice.split("_")[0].lower() == prefix:
                return choice
    return default


@functools.lru_cache(maxsize=1024)
def _holiday_names(country: str, subdivision: str | None, year: int, language: str | None) -> Mapping[date, str]:
    # Building a country's holidays runs all its rules; one build per (country, subdivision, year).
    found = holidays.country_holidays(country, subdiv=subdivision, years=year, language=language, expand=False)
    return MappingProxyType({day: str(name) for day, name in found.items()})


def _is_holiday(plan: _Plan, day: date) -> bool:
    if plan.country is None:
        return False
    return day in _holiday_names(plan.country, plan.subdivision, day.year, _language(plan.country, "en"))


def _day(plan: _Plan, day: date) -> tuple[Span, ...]:
    """The open spans of a local date, in seconds after its midnight."""
    if day in plan.closed:
        return ()
    if day in plan.opened:
        return plan.week[day.weekday()] or plan.fallback
    spans = plan.week[day.weekday()]
    return () if not spans or _is_holiday(plan, day) else spans


def _offset_s(zone: ZoneInfo, at_s: int) -> int:
    offset = datetime.fromtimestamp(at_s, zone).utcoffset()
    return 0 if offset is None else offset // timedelta(seconds=1)


def _utc_year(at_ms: int) -> int:
    return date.fromordinal(_EPOCH_ORDINAL + at_ms // _DAY_MS).year


@functools.lru_cache(maxsize=1024)
def _year_changes(key: str, year: int) -> tuple[tuple[int, int], ...]:
    """(UTC second, offset seconds from then on) for each offset change in (year start, next year start]."""
    zone = ZoneInfo(key)
    start_s = (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * DAY_S
    end_s = (date(year + 1, 1, 1).toordinal() - _EPOCH_ORDINAL) * DAY_S
    changes: list[tuple[int, int]] = []
    at, offset = start_s, _offset_s(zone, start_s)
    while at < end_s:
        probe = min(at + _SAMPLE_S, end_s)
        after = _offset_s(zone, probe)
        if after != offset:
            low, high = at, probe
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_s(zone, middle) == offset:
                    low = middle
                else:
                    high = middle
            changes.append((high, after))
            offset = after
        at = probe
    return tuple(changes)


def _pieces(zone: ZoneInfo, from_ms: int, until_ms: int) -> Iterator[tuple[int, int, int]]:
    """Split [from_ms, until_ms) where the UTC offset changes: (start_ms, end_ms, offset_ms)."""
    # Offsets change on whole seconds, so the offset at from_ms is the one at its whole second.
    start, offset = from_ms, _offset_s(zone, from_ms // 1000) * 1000
    for year in range(_utc_year(from_ms), _utc_year(until_ms - 1) + 1):
        for change_s, after_s in _year_changes(zone.key, year):
            change = change_s * 1000
            if start < change < until_ms:
                yield start, change, offset
                start, offset = change, after_s * 1000
    yield start, until_ms, offset


def _raw_spans(plan: _Plan, from_ms: int, until_ms: int) -> Iterator[Span]:
    for start, end, offset in _pieces(plan.zone, from_ms, until_ms):
        # Within one piece, local wall-clock time (as naive epoch ms) is UTC plus a constant offset.
        local_start, local_end = start + offset, end + offset
        for ordinal in range(local_start // _DAY_MS, (local_end - 1) // _DAY_MS + 1):
            midnight = ordinal * _DAY_MS
            for open_s, close_s in _day(plan, date.fromordinal(_EPOCH_ORDINAL + ordinal)):
                low = max(midnight + open_s * 1000, local_start)
                high = min(midnight + close_s * 1000, local_end)
                if low < high:
                    yield low - offset, high - offset


def _spans(plan: _Plan, from_ms: int, until_ms: int) -> Iterator[Span]:
    """The open stretches within [from_ms, until_ms) in order, touching ones joined, clipped to the window."""
    pending: Span | None = None
    for start, end in _raw_spans(plan, from_ms, until_ms):
        if pending is not None and start <= pending[1]:
            pending = (pending[0], max(pending[1], end))
            continue
        if pending is not None:
            yield pending
        pending = (start, end)
    if pending is not None:
        yield pending


def is_open(calendar: Calendar, at_ms: int) -> bool:
    """Whether the calendar is open at an instant."""
    plan = _plan(calendar)
    local = datetime.fromtimestamp(at_ms // 1000, plan.zone)
    second = local.hour * 3600 + local.minute * 60 + local.second
    return any(start <= second < end for start, end in _day(plan, local.date()))


def open_spans(calendar: Calendar, start_ms: int, end_ms: int) -> list[Span]:
    """The open stretches (start_ms, end_ms) within a window, clipped to it; for "today's hours" displays."""
    return list(_spans(_plan(calendar), start_ms, end_ms)) if end_ms > start_ms else []


def next_change(calendar: Calendar, at_ms: int, *, horizon_ms: int = HORIZON_MS) -> int | None:
    """The next instant after ``at_ms`` where open turns closed or closed turns open, or None within the horizon."""
    until = at_ms + horizon_ms
    for start, end in _spans(_plan(calendar), at_ms, until):
        if start > at_ms:
            return start
        return end if end < until else None
    return None


def next_open(calendar: Calendar, at_ms: int, *, horizon_ms: int = HORIZON_MS) -> int | None:
    """The first open instant at or after ``at_ms`` (``at_ms`` itself when open), or None within the horizon."""
    for start, _ in _spans(_plan(calendar), at_ms, at_ms + horizon_ms):
        return start
    return None


def add_business_seconds(calendar: Calendar, start_ms: int, seconds: int) -> int:
    """The instant by which ``seconds`` of open time have passed since ``start_ms``: an SLA deadline.

    Zero seconds gives ``start_ms`` itself; time that ends exactly at a close gives the close, not the
    next opening. Raises CalendarError when the calendar stays closed for a whole horizon (400 days).
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise CalendarError("seconds", "must be a whole number of seconds, not negative")
    remaining = seconds * 1000
    if remaining == 0:
        return start_ms
    plan = _plan(calendar)
    cursor = start_ms
    while True:
        found = False
        for start, end in _spans(plan, cursor, cursor + HORIZON_MS):
            found = True
            if end - start >= remaining:
                return start + remaining
            remaining -= end - start
        if not found:
            raise CalendarError("slots", "the calendar is not open at any time within 400 days")
        cursor += HORIZON_MS


def business_seconds_between(calendar: Calendar, start_ms: int, end_ms: int) -> int:
    """Whole seconds of open time in [start_ms, end_ms); negative when ``end_ms`` comes first."""
    if end_ms < start_ms:
        return -business_seconds_between(calendar, end_ms, start_ms)
    return sum(end - start for start, end in open_spans(calendar, start_ms, end_ms)) // 1000


def holiday_name(calendar: Calendar, day: date, language: str = "en") -> str | None:
    """The public holiday on a day in the calendar's country, whether or not the calendar opens anyway."""
    if calendar.holiday_country is None:
        return None
    code = _language(calendar.holiday_country, language)
    return _holiday_names(calendar.holiday_country, calendar.holiday_subdivision, day.year, code).get(day)


@functools.cache
def supported_holiday_regions() -> Mapping[str, tuple[str, ...]]:
    """Each country code the holidays package knows, with its subdivision codes, for validate_calendar."""
    found = holidays.list_supported_countries(include_aliases=True)
    return MappingProxyType({country: tuple(subdivisions) for country, subdivisions in found.items()})
