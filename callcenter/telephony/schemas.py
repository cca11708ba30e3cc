"""Request and response models of the telephony and calls APIs (the OpenAPI document's source)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from callcenter.schemas import PageQuery


class GenericEventIn(BaseModel):
    """Our JSON call event (``POST /api/telephony/events``); the adapter reads it, this documents it."""

    event: Literal["ringing", "answered", "ended", "transferred", "hold", "unhold"]
    call_id: str = Field(max_length=250)
    direction: Literal["inbound", "outbound"]
    from_: str = Field(alias="from", max_length=200, description="the calling number as the PBX has it")
    to: str = Field(max_length=200, description="the dialled number")
    queue: str | None = None
    agents: list[str] | None = Field(None, description="usernames, extensions or devices being rung")
    agent: str | None = Field(None, description="the answering agent")
    cause: str | None = None
    at: str | None = Field(None, description="ISO-8601 time of the event; default: when received")
    ivr: str | None = Field(None, description="the caller's menu choice")
    language: str | None = None
    parent_call_id: str | None = Field(None, description="the call this leg was transferred from")
    route: bool = Field(False, description="true when the PBX asks where to send the call")


class EventAck(BaseModel):
    """The answer to a stored event: the call it belongs to, and whether it was a repeat."""

    ok: bool = True
    call_id: int
    state: str
    duplicate: bool
    popped: list[int]
    route: dict[str, Any] | None = Field(None, description="the routing decision, when the PBX asked for one")
    action: Literal["dial", "queue", "reject", "closed", "overflow"] | None = Field(
        None, description="when the PBX asked (route: true): what to do with the call")
    agent: str | None = Field(None, description="with dial: the username of the agent to ring")
    target: str | None = Field(None, description="with overflow or closed: a queue key, voicemail or callback")
    retry_after_s: int | None = Field(None, description="with queue: ask again (same call_id) after this long")


class ZammadEventIn(BaseModel):
    """Zammad's generic CTI event (JSON or form); documented here, read by the Zammad adapter."""

    event: Literal["newCall", "answer", "hangup"]
    direction: Literal["in", "out"]
    callId: str | None = None
    call_id: str | None = None
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    user: list[str] | str | None = None
    queue: str | None = None
    cause: str | None = None
    answeringNumber: str | None = None


class ZammadAnswer(BaseModel):
    """Zammad's answers: ``{}``, ``{"action": "reject", "reason": "busy"}`` or a dial instruction."""

    model_config = ConfigDict(extra="allow")

    action: str | None = None
    reason: str | None = None


class CallOut(BaseModel):
    """A call record."""

    model_config = ConfigDict(extra="allow")

    id: int
    provider: str
    external_id: str
    direction: str
    state: str
    queue: str | None
    customer_id: int | None
    match: dict[str, Any]
    agent_id: int | None
    agent_name: str | None
    started_at: int
    answered_at: int | None
    ended_at: int | None
    wait_s: float | None
    talk_s: float | None
    hold_s: float
    notes: str
    disposition: str | None
    number_masked: str | None
    number: str | None = Field(None, description="the full customer number; only on a single call, audited")


class CallQuery(PageQuery):
    """Filters of the call list."""

    state: str | None = Field(None, description="comma-separated states")
    agent_id: int | None = None
    customer_id: int | None = None
    since: int | None = Field(None, description="calls started at or after (epoch ms)")


class CallNotesIn(BaseModel):
    """What the agent writes about a call."""

    model_config = ConfigDict(extra="forbid")

    notes: str | None = Field(None, max_length=10_000)
    disposition: str | None = Field(None, max_length=64)


class CallCustomerIn(BaseModel):
    """The customer the agent picked for this call."""

    model_config = ConfigDict(extra="forbid")

    customer_id: int


class CallNewCustomerIn(BaseModel):
    """A new customer created from the new-caller card, with the call's number."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    language: str | None = Field(None, max_length=35)
    company: str | None = Field(None, max_length=200)


class CallCustomerOut(BaseModel):
    """The call with its customer card after a pick."""

    model_config = ConfigDict(extra="allow")

    call: dict[str, Any]
    customer: dict[str, Any]
    match: dict[str, Any]


class CustomerCallsOut(BaseModel):
    """A customer's calls, newest first."""

    items: list[dict[str, Any]]
