"""The waiting line: calls without an agent, by effective wait per queue, by max-wait deadline, by dedicated agent."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from callcenter.routing.models import QueueConfig, WaitingCall

# (enqueued at − tier bonus, arrival sequence, call id, call version): the smallest waited longest.
Entry = tuple[int, int, str, int]


@dataclass(slots=True, eq=False)
class CallRecord:
    """The router's mutable copy of one call that is waiting or ringing an agent."""

    call_id: str
    queue_id: str
    enqueued_at_ms: int
    tier: str | None
    dedicated_agent_id: int | None
    missed: set[int]
    attempts: int
    bonus_ms: int
    seq: int
    ringing: int | None = None
    waiting: bool = False
    admitted: bool = False  # ``max_queue`` is checked once, when the call first joins
    version: int = 0

    @property
    def rank(self) -> tuple[int, int]:
        """Its place in the waiting order: effective wait = now − enqueued + bonus, so now cancels out."""
        return (self.enqueued_at_ms - self.bonus_ms, self.seq)

    def snapshot(self) -> WaitingCall:
        """A frozen copy for callers."""
        return WaitingCall(self.call_id, self.queue_id, self.enqueued_at_ms, self.tier, self.dedicated_agent_id,
                           self.attempts, frozenset(self.missed), self.ringing)


class WaitingLine:
    """Every call the router holds, and indexes over the waiting ones; all operations O(log W).

    Entries are never removed from the heaps in place: a call's version changes each time it
    starts or stops waiting, and stale entries are dropped when they surface.
    """

    def __init__(self) -> None:
        self.calls: dict[str, CallRecord] = {}
        self.counts: dict[str, int] = {}  # queue id → calls waiting
        self._queues: dict[str, list[Entry]] = {}
        self._deadlines: list[tuple[int, int, str, int]] = []
        self._dedicated: dict[int, set[str]] = {}
        self._seq = itertools.count()

    def record(self, call: WaitingCall, queue: QueueConfig) -> CallRecord:
        """Start holding a call (neither waiting nor ringing yet)."""
        rec = CallRecord(call.call_id, call.queue_id, call.enqueued_at_ms, call.customer_tier,
                         call.dedicated_agent_id, set(call.excluded), call.attempts,
                         queue.bonus_ms(call.customer_tier), next(self._seq))
        self.calls[call.call_id] = rec
        return rec

    def enqueue(self, rec: CallRecord, max_wait_s: int | None) -> None:
        """Make the call wait; it keeps its original place, so a call back from a missed ring is not sent back."""
        rec.waiting = True
        rec.admitted = True
        rec.version += 1
        self.counts[rec.queue_id] = self.counts.get(rec.queue_id, 0) + 1
        heap = self._queues.setdefault(rec.queue_id, [])
        heapq.heappush(heap, (*rec.rank, rec.call_id, rec.version))
        if len(heap) > 4 * self.counts[rec.queue_id] + 64:
            # Calls that left while deep in the heap would otherwise stay until they surface.
            heap[:] = [e for e in heap if self._live(e) is not None]
            heapq.heapify(heap)
        if max_wait_s is not None:
            deadline = rec.enqueued_at_ms + 1000 * max_wait_s
            heapq.heappush(self._deadlines, (deadline, rec.seq, rec.call_id, rec.version))
        if rec.dedicated_agent_id is not None:
            self._dedicated.setdefault(rec.dedicated_agent_id, set()).add(rec.call_id)

    def unqueue(self, rec: CallRecord) -> None:
        """Stop the call waiting (it rings an agent or leaves); its heap entries go stale."""
        if not rec.waiting:
            return
        rec.waiting = False
        rec.version += 1
        self.counts[rec.queue_id] -= 1
        if rec.dedicated_agent_id is not None:
            mine = self._dedicated[rec.dedicated_agent_id]
            mine.discard(rec.call_id)
            if not mine:
                del self._dedicated[rec.dedicated_agent_id]

    def drop(self, rec: CallRecord) -> None:
        """Forget the call."""
        self.unqueue(rec)
        del self.calls[rec.call_id]

    def _live(self, entry: Entry) -> CallRecord | None:
        rec = self.calls.get(entry[2])
        return rec if rec is not None and rec.waiting and rec.version == entry[3] else None

    def longest(self, queue_id: str, user_id: int) -> CallRecord | None:
        """The call in a queue with the longest effective wait that this agent has not missed."""
        heap = self._queues.get(queue_id)
        if not heap:
            return None
        aside: list[Entry] = []
        found: CallRecord | None = None
        while heap:
            rec = self._live(heap[0])
            if rec is None:
                heapq.heappop(heap)
            elif user_id in rec.missed:
                aside.append(heapq.heappop(heap))
            else:
                found = rec
                break
        for entry in aside:
            heapq.heappush(heap, entry)
        return found

    def dedicated_to(self, user_id: int) -> Iterator[CallRecord]:
        """The waiting calls whose customer's dedicated agent this is."""
        for call_id in self._dedicated.get(user_id, ()):
            yield self.calls[call_id]

    def due(self, now_ms: int) -> list[CallRecord]:
        """Waiting calls whose queue's max wait has passed, oldest first; ringing calls are checked when they return."""
        out: list[CallRecord] = []
        while self._deadlines and self._deadlines[0][0] <= now_ms:
            _, _, call_id, version = heapq.heappop(self._deadlines)
            rec = self.calls.get(call_id)
            if rec is not None and rec.waiting and rec.version == version:
                out.append(rec)
        return out

    def in_order(self) -> list[CallRecord]:
        """The waiting calls, longest effective wait first (for rebuilding after a load)."""
        return sorted((r for r in self.calls.values() if r.waiting), key=lambda r: r.rank)
