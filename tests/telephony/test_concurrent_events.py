"""Webhook requests for one call that arrive together fold into one complete record (on PostgreSQL too)."""

from __future__ import annotations

import asyncio

from tests.telephony.conftest import World
from tests.telephony.test_service import LIFECYCLE, T0, ev


async def test_events_of_one_call_posted_at_once_fold_together(world: World) -> None:
    await world.agent("emma")
    await world.agent("james")
    for n in range(8):
        call_id = f"together{n}"
        events = [ev(kind, call_id, at, **extra) for kind, at, extra in LIFECYCLE]
        # Each request is its own writer: on PostgreSQL they run side by side unless they take turns.
        await asyncio.gather(*(world.telephony.ingest(world.source, [e]) for e in events))
        row = await world.db.fetchone(
            "SELECT state, answered_at, ended_at, hold_s, event_count FROM calls WHERE external_id = ?", (call_id,))
        assert row == {"state": "ended", "answered_at": T0 + 4000, "ended_at": T0 + 40000, "hold_s": 5.0,
                       "event_count": 5}
    popped = [(p["call"]["external_id"], u) for u, p in world.pops()]  # type: ignore[index]
    assert len(popped) == len(set(popped)) == 16  # emma and james, once for each call
