"""Domain types of telephony: call events as received, and the folded record of one call."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson

from callcenter.customers.models import is_withheld

__all__ = ["is_withheld"]


class Provider(enum.StrEnum):
    """Which wire format an event came in."""

    GENERIC = "generic"
    ZAMMAD = "zammad"
    TWILIO = "twilio"


class EventKind(enum.StrEnum):
    """What happened to a call, in our one vocabulary."""

    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"
    TRANSFERRED = "transferred"
    HOLD = "hold"
    UNHOLD = "unhold"


class Direction(enum.StrEnum):
    """Who placed the call, seen from the center."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallState(enum.StrEnum):
    """Where a call stands; the last four are final."""

    QUEUED = "queued"
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"
    ABANDONED = "abandoned"
    MISSED = "missed"
    TRANSFERRED = "transferred"

    @property
    def final(self) -> bool:
        """True once the call is over and its state can no longer change."""
        return self in _FINAL_STATES


_FINAL_STATES = frozenset(
    {CallState.ENDED, CallState.ABANDONED, CallState.MISSED, CallState.TRANSFERRED}
)


class Cause(enum.StrEnum):
    """Hang-up causes the adapters map onto; sipgate's names, which Zammad and many PBXs share."""

    NORMAL_CLEARING = "normalClearing"
    BUSY = "busy"
    CANCEL = "cancel"
    NO_ANSWER = "noAnswer"
    CONGESTION = "congestion"
    NOT_FOUND = "notFound"
    FORWARDED = "forwarded"
    VOICEMAIL = "voicemail"
    BLOCKED = "blocked"
    FAILED = "failed"


class ParseError(ValueError):
    """A webhook body could not be read; ``field`` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CallEvent:
    """One thing a telephony system told us about one call, mapped onto our vocabulary.

    ``at_ms`` is the sender's time when it gave one, otherwise the adapter's receive time;
    ``None`` is allowed only for events built by hand and is refused by the fold.
    ``dedup_key`` is equal for a re-sent copy of the same event and differs between
    distinct events, so storage can be idempotent on it.
    """

    provider: Provider
    call_id: str
    kind: EventKind
    dedup_key: str
    at_ms: int | None
    # None when this event says nothing about it (a Twilio agent leg, a bare Zammad hangup).
    direction: Direction | None = None
    from_number: str | None = None
    to_number: str | None = None
    queue: str | None = None
    agents: tuple[str, ...] = ()
    agent: str | None = None
    # The device that answered as the PBX named it (Zammad's answeringNumber).
    agent_device: str | None = None
    cause: str | None = None
    ivr: str | None = None
    language: str | None = None
    parent_call_id: str | None = None
    route: bool = False
    # What was received, for storage and audit; never read by the fold.
    raw: Mapping[str, object] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class CallRecord:
    """The state of one call, folded from all its events; times are epoch ms, durations seconds."""

    call_id: str
    provider: Provider
    direction: Direction
    state: CallState
    from_number: str | None
    to_number: str | None
    queue: str | None
    agents_rung: tuple[str, ...]
    agent: str | None
    agent_device: str | None
    started_at: int
    ringing_at: int | None
    answered_at: int | None
    ended_at: int | None
    on_hold_since: int | None
    wait_s: float | None
    talk_s: float | None
    hold_s: float
    cause: str | None
    parent_call_id: str | None
    ivr: str | None
    language: str | None
    voicemail: bool
    route_requested: bool
    event_count: int
    last_event_at: int

    @property
    def caller_withheld(self) -> bool:
        """True when the calling number is a withheld-number marker rather than a number."""
        return is_withheld(self.from_number)


# One encoder for every digest: ``json.dumps`` with options builds a new one on each call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_json(value: object) -> bytes:
    """Compact JSON with sorted keys, non-ASCII as UTF-8.

    orjson writes the same bytes as ``json`` with these options for text, whole numbers, booleans,
    lists and maps with text keys (all that PBXs send) at a tenth of the cost, so dedup keys stored
    by earlier versions still match; some floats are spelled differently (``0.00001`` for
    ``1e-05``). What orjson refuses (other keys, integers beyond 64 bits) goes through ``json``.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:
        return _CANONICAL.encode(value).encode()


def stable_digest(value: object) -> str:
    """A short hash of a JSON-able value that is equal for equal content, whatever the key order."""
    return hashlib.sha256(canonical_json(value)).hexdigest()[:20]
