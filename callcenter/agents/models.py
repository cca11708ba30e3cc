"""Domain types of an agent's presence."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Presence(enum.StrEnum):
    """Whether an agent takes work: set by the agent, a supervisor or the server."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    AWAY = "away"


AWAY_REASONS = ("break", "lunch", "meeting", "training", "missed_calls", "disconnected")


@dataclass(frozen=True)
class PresenceState:
    """An agent's presence since a moment, with the reason when away."""

    user_id: int
    presence: Presence
    reason: str | None
    since: int

    def payload(self) -> dict[str, object]:
        """The wire form pushed as ``agent:state``."""
        return {"user_id": self.user_id, "presence": self.presence.value, "reason": self.reason, "since": self.since}
