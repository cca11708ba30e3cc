"""Request and response models of the dialled-numbers API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from callcenter.numbers.models import MAX_LABEL, MAX_MESSAGE, MAX_NUMBER_TEXT, ClosedAction, DialledNumber, NumberDraft

_NUMBER = "as dialled: +44 20 7946 0958, or a national form read in ``region``"
_REGION = "ISO 3166 alpha-2 region for national forms (and callers' national numbers); the server's default if omitted"


class NumberIn(BaseModel):
    """Set up one of our numbers."""

    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1, max_length=MAX_NUMBER_TEXT, description=_NUMBER, examples=["020 7946 0958"])
    label: str | None = Field(None, max_length=MAX_LABEL, examples=["UK support line"])
    queue: str = Field(min_length=1, max_length=64, description="the key of the queue calls go to", examples=["sales"])
    region: str | None = Field(None, min_length=2, max_length=2, description=_REGION, examples=["GB"])
    calendar: int | None = Field(None, description="the id of the opening-hours calendar; null is always open")
    closed_action: ClosedAction = Field(ClosedAction.REJECT, description="what callers get outside the hours")
    closed_message: str | None = Field(None, max_length=MAX_MESSAGE,
                                       description="what callers hear outside the hours; null plays the default")

    def to_draft(self) -> NumberDraft:
        """The domain draft."""
        return NumberDraft(self.number, self.queue, self.label, self.region, self.calendar, self.closed_action.value,
                           self.closed_message)


class NumberUpdate(BaseModel):
    """Change some fields of a number; omitted fields stay.

    Null clears ``calendar`` (always open), ``label`` and ``closed_message``; the other fields refuse null.
    """

    model_config = ConfigDict(extra="forbid")

    number: str | None = Field(None, min_length=1, max_length=MAX_NUMBER_TEXT, description=_NUMBER)
    label: str | None = Field(None, max_length=MAX_LABEL)
    queue: str | None = Field(None, min_length=1, max_length=64)
    region: str | None = Field(None, min_length=2, max_length=2, description=_REGION)
    calendar: int | None = None
    closed_action: ClosedAction | None = None
    closed_message: str | None = Field(None, max_length=MAX_MESSAGE)

    @field_validator("number", "queue", "region", "closed_action")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Omitting one of these keeps it; null cannot mean anything for them.
        if value is None:
            raise ValueError("may be omitted but not null")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the request set, as NumberDraft fields."""
        found = {name: getattr(self, name) for name in self.model_fields_set}
        if "closed_action" in found:
            found["closed_action"] = ClosedAction(found["closed_action"]).value
        return found


class NumberOut(BaseModel):
    """A dialled number with its queue and opening hours."""

    id: int
    number: str = Field(description="E.164")
    label: str | None
    queue: str = Field(description="the queue's key")
    queue_name: str
    region: str
    calendar: int | None = Field(description="the opening-hours calendar's id; null is always open")
    calendar_name: str | None
    closed_action: ClosedAction
    closed_message: str | None
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, found: DialledNumber) -> NumberOut:
        """From the domain type."""
        return cls(id=found.id, number=found.number, label=found.label, queue=found.queue_key,
                   queue_name=found.queue_name, region=found.region, calendar=found.calendar_id,
                   calendar_name=found.calendar_name, closed_action=found.closed_action,
                   closed_message=found.closed_message, created_at=found.created_at, updated_at=found.updated_at)
