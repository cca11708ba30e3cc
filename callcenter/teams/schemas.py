"""Request and response models of the teams API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from callcenter.teams.models import MAX_MESSAGE, MAX_NAME, Member, Team, TeamDetail


class TeamOut(BaseModel):
    """A team with its member count."""

    id: int
    name: str
    name_zh: str | None = Field(description="the name shown in Chinese, when it differs")
    member_count: int
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, team: Team) -> TeamOut:
        """From the domain type."""
        return cls(id=team.id, name=team.name, name_zh=team.name_zh, member_count=team.member_count,
                   created_at=team.created_at, updated_at=team.updated_at)


class MemberOut(BaseModel):
    """A member of a team."""

    id: int
    username: str
    display_name: str
    role: str = Field(description="agent, supervisor (who leads the team) or admin")

    @classmethod
    def of(cls, member: Member) -> MemberOut:
        """From the domain type."""
        return cls(id=member.user_id, username=member.username, display_name=member.display_name, role=member.role)


class TeamDetailOut(TeamOut):
    """A team with its members."""

    members: list[MemberOut]

    @classmethod
    def of_detail(cls, detail: TeamDetail) -> TeamDetailOut:
        """From the domain type."""
        return cls(**TeamOut.of(detail.team).model_dump(), members=[MemberOut.of(m) for m in detail.members])


class TeamCreate(BaseModel):
    """Add a team."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME)
    name_zh: str | None = Field(None, max_length=MAX_NAME)


class TeamUpdate(BaseModel):
    """Rename a team; omitted fields stay as they are, an empty ``name_zh`` removes the Chinese name."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=MAX_NAME)
    name_zh: str | None = Field(None, max_length=MAX_NAME)


class MemberIn(BaseModel):
    """Add a user to a team."""

    model_config = ConfigDict(extra="forbid")

    user_id: int


class BroadcastIn(BaseModel):
    """A banner message to every member of a team."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_MESSAGE)


class BroadcastOut(BaseModel):
    """How many members the message was sent to."""

    recipients: int
