"""Recording pushes inside a transaction, and the snapshot that a (re)connecting client loads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from callcenter.accounts.models import User
from callcenter.clock import Clock
from callcenter.console import store
from callcenter.console.models import Push
from callcenter.db import Conn, Database

# A part of the snapshot: given a read connection and the user, the state one feature shows.
SnapshotPart = Callable[[Conn, User], Awaitable[dict[str, Any]]]

REPLAY_LIMIT = 1000


async def record_pushes(
    conn: Conn, now: int, user_ids: Iterable[int], event: str, payload: dict[str, Any]
) -> list[Push]:
    """Number and store one message for each user, in the caller's transaction (an outbox).

    The caller hands the result to ``Notifier.send`` after commit, so nothing is emitted that was
    not stored, and nothing stored is lost to a client that was away: it replays by sequence.
    """
    pushes = []
    for user_id in sorted(set(user_ids)):
        pushes.append(Push(user_id, await store.insert_push(conn, user_id, event, payload, now), event, payload, now))
    return pushes


class ConsoleService:
    """Builds the console snapshot from the parts each feature registers."""

    def __init__(self, db: Database, clock: Clock, retention_ms: int) -> None:
        self.db = db
        self.clock = clock
        self.retention_ms = retention_ms
        self.parts: dict[str, SnapshotPart] = {}

    def add_part(self, name: str, part: SnapshotPart) -> None:
        """Register the state a feature contributes to every snapshot."""
        self.parts[name] = part

    async def snapshot(self, user: User, since: int | None) -> dict[str, Any]:
        """Current state plus the pushes numbered after ``since``.

        ``reset`` is true when the client is too far behind (or new): it must replace its whole
        store with ``state`` and then apply ``pushes``.
        """
        seq, state, reset, pushes = await self.db.run_read(lambda conn: self._read(conn, user, since))
        return {
            "server_now": self.clock.now_ms(),
            "seq": seq,
            "reset": reset,
            "state": state,
            "pushes": [{"event": p.event, "data": p.wire()} for p in pushes],
        }

    async def _read(self, conn: Conn, user: User, since: int | None) -> tuple[int, dict[str, Any], bool, list[Push]]:
        # One read transaction, so the state and the sequence number describe the same moment:
        # a push numbered after ``seq`` changes the state only after what the client got here.
        seq = await store.current_seq(conn, user.id)
        state = {name: await part(conn, user) for name, part in self.parts.items()}
        pushes: list[Push] = []
        reset = since is None or since > seq
        if not reset and since is not None and since < seq:
            oldest = await store.oldest_seq(conn, user.id)
            if oldest is None or oldest > since + 1 or seq - since > REPLAY_LIMIT:
                reset = True
            else:
                pushes = await store.list_pushes_after(conn, user.id, since, REPLAY_LIMIT)
        return seq, state, reset, pushes

    async def prune(self, now: int) -> int:
        """Forget pushes past the replay window."""
        async with self.db.transaction() as conn:
            return await store.delete_pushes_before(conn, now - self.retention_ms)
