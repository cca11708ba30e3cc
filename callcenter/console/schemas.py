"""Request and response models of the console API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SnapshotQuery(BaseModel):
    """``since``: the last sequence number the client applied."""

    model_config = ConfigDict(extra="forbid")

    since: int | None = Field(None, ge=0)


class PushOut(BaseModel):
    """One replayed push: the event name and what was emitted."""

    event: str
    data: dict[str, Any]


class SnapshotOut(BaseModel):
    """Current state plus the pushes after ``since``; with ``reset`` replace the whole store."""

    server_now: int
    seq: int
    reset: bool
    state: dict[str, Any]
    pushes: list[PushOut]
