"""Wire shapes of agents' states, wrap-up, time in state, the supervisor's live board and decisions."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from callcenter.routing.models import Presence

MAX_NOTES = 10_000


class PresenceIn(BaseModel):
    """A presence to set: available, away with a reason, or offline."""

    model_config = ConfigDict(extra="forbid")

    presence: Presence
    reason: str | None = Field(None, max_length=40, description="break, lunch, meeting, training … when away")


class WrapUpIn(BaseModel):
    """The end of a wrap-up: the call, a disposition of its queue, notes."""

    model_config = ConfigDict(extra="forbid")

    call_id: int
    disposition_id: int | None = Field(None, description="required when the call's queue has dispositions")
    notes: str | None = Field(None, max_length=MAX_NOTES)


class WrapUpState(BaseModel):
    """The call being wrapped up and what may be chosen."""

    call_id: int
    queue: str | None
    due_at: int | None = Field(description="when the wrap-up ends by itself (epoch ms)")
    dispositions: list[dict[str, Any]]


class AgentStateOut(BaseModel):
    """An agent's presence and work as ``agent:state`` pushes it."""

    user_id: int
    presence: str
    reason: str | None
    since: int | None = Field(description="presence since (epoch ms)")
    work: str = Field(description="idle, ringing, on_call or wrap_up")
    call_id: int | None
    work_since: int | None
    wrap_up: WrapUpState | None
    missed_in_row: int


class TimeInStateQuery(BaseModel):
    """A window in epoch milliseconds; by default the last 24 hours."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: int | None = Field(None, alias="from", ge=0)
    to: int | None = Field(None, ge=0)


class TimeInStateOut(BaseModel):
    """Whole seconds per presence, work state and away reason; occupancy = handling / ready."""

    user_id: int
    from_: int = Field(alias="from")
    to: int
    presence: dict[str, int]
    work: dict[str, int]
    away_reasons: dict[str, int]
    handling_s: int
    ready_s: int
    occupancy: float | None


class DecisionQuery(BaseModel):
    """Which decisions: one call's, or the newest; keyset paging by ``before``."""

    model_config = ConfigDict(extra="forbid")

    call_id: int | None = None
    before: int | None = Field(None, ge=1)
    limit: int = Field(50, ge=1, le=200)


class DecisionsOut(BaseModel):
    """Decisions newest first, each with its candidates and the excluded agents with reasons."""

    items: list[dict[str, Any]]


class LiveOut(BaseModel):
    """The supervisor's board; customer numbers are masked."""

    now: int
    queues: list[dict[str, Any]]
    waiting: list[dict[str, Any]]
    active: list[dict[str, Any]]
    agents: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
