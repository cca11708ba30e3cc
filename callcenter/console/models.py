"""Domain types of pushes: numbered per recipient so a reconnecting client misses nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Push:
    """One message to one user, numbered in that user's gap-free sequence."""

    user_id: int
    seq: int
    event: str
    payload: dict[str, Any]
    at: int

    def wire(self) -> dict[str, Any]:
        """What the browser receives: the payload plus its sequence number and time."""
        return {**self.payload, "seq": self.seq, "at": self.at}


# The event of one message that carries several pushes for one user, in order: ``[{"event", "data"}, …]``.
# Pushes recorded by one transaction for one user (a call's update and the agent's new state) go
# out together, one frame instead of several.
BUNDLE = "pushes"


class Outbox(Protocol):
    """What a change recorded for after its commit: numbered pushes and room broadcasts."""

    pushes: list[Push]
    broadcasts: list[tuple[str, str, dict[str, Any]]]


class Notifier(Protocol):
    """Delivers, after commit, what services recorded; the real one is Socket.IO."""

    async def send(self, pushes: Sequence[Push]) -> None:
        """Emit recorded pushes to their users' rooms."""
        ...

    async def broadcast(self, room: str, event: str, payload: dict[str, Any]) -> None:
        """Emit a state update that a snapshot can rebuild (not numbered, not replayed)."""
        ...

    async def end_sessions(self, token_hashes: Sequence[str]) -> None:
        """Disconnect every socket opened with one of these sessions."""
        ...

    async def join_rooms(self, user_id: int, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        """Put a user's connected sockets into ``add`` and take them out of ``remove``."""
        ...
