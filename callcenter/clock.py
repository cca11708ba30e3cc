"""The injected clock: every rule asks it for ``now`` so tests can move time instead of sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time in UTC epoch milliseconds."""

    def now_ms(self) -> int:
        """Return the current time as UTC epoch milliseconds."""
        ...


class SystemClock:
    """The real wall clock."""

    def now_ms(self) -> int:
        """Return the current time as UTC epoch milliseconds."""
        return time.time_ns() // 1_000_000


class FakeClock:
    """A clock that only moves when told to; for tests and the simulator."""

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        """Return the frozen time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self._now += round(seconds * 1000)

    def set(self, when: datetime) -> None:
        """Jump to an absolute instant."""
        self._now = round(when.timestamp() * 1000)


def to_datetime(ms: int) -> datetime:
    """Turn epoch milliseconds into an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def to_ms(when: datetime) -> int:
    """Turn an aware datetime into epoch milliseconds."""
    return round(when.timestamp() * 1000)
