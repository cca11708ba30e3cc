"""Time in state: totals of an agent's ledger intervals over a window, and occupancy; pure computation.

Occupancy is the share of the time an agent was working or ready to work that they spent handling
calls: (on call + wrap-up) / (idle while available + ringing + on call + wrap-up). Time away or
offline with no call counts in neither part, so a long lunch does not lower it (ICMI's definition;
Amazon Connect and Twilio Flex report it the same way).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

WORK_STATES = ("idle", "ringing", "on_call", "wrap_up")
PRESENCES = ("offline", "available", "away")


@dataclass(frozen=True)
class Interval:
    """One stretch of (presence, reason, work); ``end`` None is still open."""

    presence: str
    reason: str | None
    work: str
    start: int
    end: int | None


@dataclass
class Totals:
    """Seconds in each state over a window, and the occupancy they give."""

    presence: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PRESENCES, 0.0))
    work: dict[str, float] = field(default_factory=lambda: dict.fromkeys(WORK_STATES, 0.0))
    away_reasons: dict[str, float] = field(default_factory=dict)
    handling: float = 0.0  # on call + wrap-up
    ready: float = 0.0  # idle while available + ringing + handling

    @property
    def occupancy(self) -> float | None:
        """Handling over ready time, 0–1; None when the agent was never ready."""
        return self.handling / self.ready if self.ready > 0 else None

    def payload(self) -> dict[str, Any]:
        """The wire form: whole seconds per state, occupancy rounded to 0.1 %."""
        occupancy = self.occupancy
        return {
            "presence": {k: round(v) for k, v in self.presence.items()},
            "work": {k: round(v) for k, v in self.work.items()},
            "away_reasons": {k: round(v) for k, v in sorted(self.away_reasons.items())},
            "handling_s": round(self.handling), "ready_s": round(self.ready),
            "occupancy": None if occupancy is None else round(occupancy, 3),
        }


def intervals(rows: Iterable[Mapping[str, Any]]) -> list[Interval]:
    """Ledger rows as intervals."""
    return [Interval(r["presence"], r["reason"], r["work"], r["started_at"], r["ended_at"]) for r in rows]


def totals(spans: Iterable[Interval], start: int, end: int, now: int) -> Totals:
    """Seconds in each state within [start, end); an open interval runs until ``now``."""
    out = Totals()
    for span in spans:
        lo = max(span.start, start)
        hi = min(span.end if span.end is not None else now, end)
        if hi <= lo:
            continue
        seconds = (hi - lo) / 1000
        out.presence[span.presence] = out.presence.get(span.presence, 0.0) + seconds
        out.work[span.work] = out.work.get(span.work, 0.0) + seconds
        if span.presence == "away":
            key = span.reason or "away"
            out.away_reasons[key] = out.away_reasons.get(key, 0.0) + seconds
        if span.work in ("on_call", "wrap_up"):
            out.handling += seconds
            out.ready += seconds
        elif span.work == "ringing" or span.presence == "available":
            out.ready += seconds
    return out
