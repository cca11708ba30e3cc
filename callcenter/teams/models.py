"""Domain types of teams: the team, its members, and the name of its room."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_NAME = 80
MAX_MESSAGE = 500


def team_room(team_id: int) -> str:
    """The Socket.IO room of one team's members."""
    return f"team:{team_id}"


@dataclass(frozen=True)
class Team:
    """A named group of users; ``name_zh`` is what Chinese-speaking users see when it is set."""

    id: int
    name: str
    name_zh: str | None
    member_count: int
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class Member:
    """A user as a team shows them."""

    user_id: int
    username: str
    display_name: str
    role: str
    disabled: bool


@dataclass(frozen=True)
class TeamDetail:
    """A team with its members, ordered by display name."""

    team: Team
    members: tuple[Member, ...]

    def update_payload(self) -> dict[str, Any]:
        """The ``team:update`` state: everything a client needs to redraw the team, not a delta."""
        return {
            "team_id": self.team.id,
            "name": self.team.name,
            "name_zh": self.team.name_zh,
            "member_ids": sorted(m.user_id for m in self.members),
            "deleted": False,
        }
