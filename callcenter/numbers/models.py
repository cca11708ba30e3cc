"""Domain types of dialled numbers: the stored number, an admin's draft of one, and the route routing reads."""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields

from callcenter.calendars.models import Calendar

MAX_LABEL = 80
MAX_MESSAGE = 500
MAX_NUMBER_TEXT = 40


class ClosedAction(enum.StrEnum):
    """What a call to a number gets outside its opening hours."""

    REJECT = "reject"
    VOICEMAIL = "voicemail"
    CALLBACK = "callback"


@dataclass(frozen=True)
class DialledNumber:
    """One of our numbers (E.164) as the admin pages and the API show it."""

    id: int
    number: str
    label: str | None
    queue_key: str
    queue_name: str
    region: str
    calendar_id: int | None
    calendar_name: str | None
    closed_action: ClosedAction
    closed_message: str | None
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class NumberDraft:
    """What an admin writes for a number: ``number`` as typed (national forms read in ``region``), a queue key."""

    number: str
    queue: str
    label: str | None = None
    region: str | None = None
    calendar: int | None = None
    closed_action: str = ClosedAction.REJECT.value
    closed_message: str | None = None

    @classmethod
    def of(cls, found: DialledNumber) -> NumberDraft:
        """The draft that would store a number as it is."""
        return cls(found.number, found.queue_key, found.label, found.region, found.calendar_id,
                   found.closed_action.value, found.closed_message)


DRAFT_FIELDS = frozenset(f.name for f in fields(NumberDraft))


@dataclass(frozen=True)
class NumberRoute:
    """Where a call to a dialled number goes: its queue, the region for callers' national numbers, its hours.

    ``calendar`` None means always open; outside its hours the call gets ``closed_action``
    (``reject``, ``voicemail``, ``callback``) with ``closed_message`` or the default message.
    """

    number_id: int
    number: str
    label: str | None
    queue_key: str
    region: str
    calendar: Calendar | None
    closed_action: str
    closed_message: str | None
