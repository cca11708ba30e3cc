"""The call state machine as a pure fold: any order and any repetition of events gives one record.

The service stores every event it accepts and re-folds all stored events of a call on each new
one. There is deliberately no incremental ``advance(record, event)``: an event that arrives late
can belong *before* events already folded (Twilio status callbacks, clock skew between a PBX's
``at`` and our receive time), and a record does not keep enough to replay them. Calls have a
handful of events, so folding again is cheap and is the one way to be provably order-tolerant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from callcenter.telephony.models import CallEvent, CallRecord, CallState, Direction, EventKind, Provider

# Same-millisecond events are put in the order a call lives through them.
KIND_RANK: dict[EventKind, int] = {
    EventKind.RINGING: 0,
    EventKind.ANSWERED: 1,
    EventKind.HOLD: 2,
    EventKind.UNHOLD: 3,
    EventKind.TRANSFERRED: 4,
    EventKind.ENDED: 5,
}

# Causes that, on an inbound call no agent answered, mean the caller gave up. A normal clearing
# or Twilio's "completed" there means the PBX had taken the call into an IVR or queue and the
# caller hung up while waiting. Compared with case and punctuation removed.
ABANDON_CAUSES = frozenset(
    {"cancel", "canceled", "cancelled", "abandon", "abandoned", "caller", "callerhangup", "hangup",
     "normalclearing", "completed"}
)
_VOICEMAIL = "voicemail"
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def order_key(event: CallEvent) -> tuple[object, ...]:
    """The total order the fold applies: time, kind rank, dedup key, then every folded field."""
    if event.at_ms is None:
        raise ValueError(f"event {event.dedup_key!r} has no at_ms; adapters fill it with the receive time")
    # Fields after dedup_key only break ties between differing copies that share a key, so
    # which copy wins never depends on the order the copies arrived in.
    return (
        event.at_ms, KIND_RANK[event.kind], event.dedup_key, event.direction or "",
        event.from_number or "", event.to_number or "", event.queue or "", event.agents,
        event.agent or "", event.agent_device or "", event.cause or "", event.ivr or "",
        event.language or "", event.parent_call_id or "", event.route,
    )


def unique_in_order(events: Iterable[CallEvent]) -> list[CallEvent]:
    """Sort events by ``order_key`` and keep the first of each dedup key (the earliest copy)."""
    seen: set[str] = set()
    kept: list[CallEvent] = []
    for event in sorted(events, key=order_key):
        if event.dedup_key not in seen:
            seen.add(event.dedup_key)
            kept.append(event)
    return kept


def cause_gives_up(cause: str | None) -> bool:
    """True when an unanswered inbound call ending with this cause was abandoned by the caller."""
    # A PBX that drops the call itself (busy, no agent, voicemail) says why; silence means the
    # caller left.
    return cause is None or _NOT_ALNUM.sub("", cause.lower()) in ABANDON_CAUSES


def _is_voicemail(event: CallEvent) -> bool:
    return any((value or "").strip().lower() == _VOICEMAIL for value in (event.cause, event.agent))


@dataclass
class _Fold:
    """Mutable scratch state while walking one call's events in order."""

    started_at: int
    direction: Direction | None = None
    from_number: str | None = None
    to_number: str | None = None
    parent_call_id: str | None = None
    queue: str | None = None
    ivr: str | None = None
    language: str | None = None
    agents_rung: list[str] = field(default_factory=list)
    agent: str | None = None
    seen_agent: str | None = None
    agent_device: str | None = None
    ringing_at: int | None = None
    rang_out: bool = False
    answered_at: int | None = None
    voicemail_at: int | None = None
    on_hold_since: int | None = None
    hold_ms: int = 0
    end: CallEvent | None = None
    route_requested: bool = False

    def describe(self, event: CallEvent) -> None:
        """Take descriptive fields: identity from the first event naming it, choices from the latest."""
        self.direction = self.direction or event.direction
        self.from_number = self.from_number if self.from_number is not None else event.from_number
        self.to_number = self.to_number if self.to_number is not None else event.to_number
        self.parent_call_id = self.parent_call_id or event.parent_call_id
        self.queue = event.queue or self.queue
        self.ivr = event.ivr or self.ivr
        self.language = event.language or self.language
        self.route_requested = self.route_requested or event.route

    def live(self, event: CallEvent, at: int) -> None:
        """Apply one event of a call that has not ended yet."""
        voicemail = _is_voicemail(event)
        if not voicemail:
            self.seen_agent = self.seen_agent or event.agent
            self.agent_device = self.agent_device or event.agent_device
        answered = self.answered_at is not None
        if event.kind is EventKind.RINGING:
            self.rang_out = True
            for name in event.agents:
                if name not in self.agents_rung:
                    self.agents_rung.append(name)
            if event.agents and self.ringing_at is None:
                self.ringing_at = at
        elif event.kind is EventKind.ANSWERED and not answered and self.voicemail_at is None:
            if voicemail:
                self.voicemail_at = at
            else:
                self.answered_at = at
                self.agent = event.agent
                self.agent_device = event.agent_device or self.agent_device
        elif event.kind is EventKind.HOLD and answered and self.on_hold_since is None:
            self.on_hold_since = at
        elif event.kind is EventKind.UNHOLD and self.on_hold_since is not None:
            self.hold_ms += at - self.on_hold_since
            self.on_hold_since = None
        elif event.kind in (EventKind.ENDED, EventKind.TRANSFERRED):
            self.end = event
            if self.on_hold_since is not None:
                # An unmatched hold lasts until the call ends.
                self.hold_ms += at - self.on_hold_since
                self.on_hold_since = None

    def state(self, direction: Direction) -> CallState:
        """Apply the final-state rules of docs/TELEPHONY.md."""
        if self.end is not None:
            if self.end.kind is EventKind.TRANSFERRED:
                return CallState.TRANSFERRED
            if self.answered_at is not None:
                return CallState.ENDED
            if self.voicemail_at is None and direction is Direction.INBOUND and cause_gives_up(self.end.cause):
                return CallState.ABANDONED
            return CallState.MISSED
        if self.answered_at is not None:
            return CallState.ANSWERED
        if self.voicemail_at is not None:
            return CallState.MISSED
        # Outbound, the far end's phone is what rings; no agent queue is involved.
        if self.agents_rung or (direction is Direction.OUTBOUND and self.rang_out):
            return CallState.RINGING
        return CallState.QUEUED


def _seconds(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def fold(events: Iterable[CallEvent]) -> CallRecord:
    """Fold all known events of one call into its record; every event must have ``at_ms`` set.

    Events are sorted by (at_ms, kind rank, dedup_key) and de-duplicated by dedup_key, so any
    shuffle or repetition of the same events gives an equal record. Events after the first
    ``ended``/``transferred`` only contribute descriptive fields (numbers, queue, ivr).
    """
    ordered = unique_in_order(events)
    if not ordered:
        raise ValueError("cannot fold a call without events")
    first = ordered[0]
    if any(e.call_id != first.call_id or e.provider != first.provider for e in ordered):
        raise ValueError("events of more than one call given to fold")
    acc = _Fold(started_at=_at(first))
    for event in ordered:
        acc.describe(event)
        if acc.end is None:
            acc.live(event, _at(event))
    direction = acc.direction or Direction.INBOUND
    ended_at = None if acc.end is None else _at(acc.end)
    stop_waiting = next((t for t in (acc.answered_at, acc.voicemail_at, ended_at) if t is not None), None)
    talk_ms = None
    if acc.answered_at is not None and ended_at is not None:
        talk_ms = ended_at - acc.answered_at - acc.hold_ms
    cause = acc.end.cause if acc.end is not None else None
    voicemail = acc.voicemail_at is not None or (
        acc.end is not None and acc.answered_at is None and _is_voicemail(acc.end)
    )
    return CallRecord(
        call_id=first.call_id,
        provider=Provider(first.provider),
        direction=direction,
        state=acc.state(direction),
        from_number=acc.from_number,
        to_number=acc.to_number,
        queue=acc.queue,
        agents_rung=tuple(acc.agents_rung),
        agent=acc.agent or acc.seen_agent,
        agent_device=acc.agent_device,
        started_at=acc.started_at,
        ringing_at=acc.ringing_at,
        answered_at=acc.answered_at,
        ended_at=ended_at,
        on_hold_since=acc.on_hold_since,
        wait_s=_seconds(None if stop_waiting is None else stop_waiting - acc.started_at),
        talk_s=_seconds(talk_ms),
        hold_s=acc.hold_ms / 1000,
        cause=cause if cause is not None or acc.voicemail_at is None else _VOICEMAIL,
        parent_call_id=acc.parent_call_id,
        ivr=acc.ivr,
        language=acc.language,
        voicemail=voicemail,
        route_requested=acc.route_requested,
        event_count=len(ordered),
        last_event_at=_at(ordered[-1]),
    )


def _at(event: CallEvent) -> int:
    # order_key already refused events without a time; this narrows the type.
    assert event.at_ms is not None
    return event.at_ms
