"""Zammad's generic CTI push API (``POST /api/v1/cti/{token}``) read into CallEvents, and its answers.

Field names, aliases and answer shapes follow Zammad's source where it disagrees with its docs
(telephony-formats.md §1 and §5): ``callId`` or ``call_id``; agents in ``user``, ``user[]`` or
the documented but unread ``caller``; answers ``{}``, reject-busy and dial with ``caller_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from callcenter.telephony.models import (
    CallEvent,
    Cause,
    Direction,
    EventKind,
    ParseError,
    Provider,
    stable_digest,
)

# Zammad's own limit on call ids (cti_logs.call_id).
MAX_CALL_ID = 250
MAX_TEXT = 250

_EVENTS = {"newCall": EventKind.RINGING, "answer": EventKind.ANSWERED, "hangup": EventKind.ENDED}
_DIRECTIONS = {"in": Direction.INBOUND, "out": Direction.OUTBOUND}
_USER_KEYS = ("user", "user[]", "caller", "caller[]")
# The error texts Zammad itself answers with, so scripts written for Zammad see what they expect.
INVALID_DIRECTION = "Invalid direction!"


def pairs_from_json(body: object) -> list[tuple[str, str]]:
    """Flatten a JSON body into the (key, value) pairs a form body gives; lists repeat the key."""
    if not isinstance(body, Mapping):
        raise ParseError("body", "must be a JSON object")
    pairs: list[tuple[str, str]] = []
    for key, value in body.items():
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if isinstance(item, dict | list):
                raise ParseError(str(key), "must be a string or a list of strings")
            # Rails turns JSON scalars into strings the same way before Zammad reads them.
            pairs.append((str(key), _scalar(item)))
    return pairs


def _scalar(item: object) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item)


def parse_zammad(pairs: Iterable[tuple[str, str]], received_at_ms: int) -> CallEvent:
    """Read one Zammad CTI event (from JSON, form or query pairs); Zammad sends no time, so it is now.

    Raises ParseError for a bad direction (checked first, as Zammad does), an unknown event or a
    missing call id.
    """
    fields: dict[str, list[str]] = {}
    for key, value in pairs:
        fields.setdefault(key, []).append(value)

    def first(*names: str) -> str | None:
        for name in names:
            for value in fields.get(name, []):
                if value.strip():
                    if len(value) > MAX_TEXT:
                        raise ParseError(name, f"is longer than {MAX_TEXT} characters")
                    return value
        return None

    direction = _DIRECTIONS.get(first("direction") or "")
    if direction is None:
        raise ParseError("direction", INVALID_DIRECTION)
    event = first("event") or ""
    if event not in _EVENTS:
        raise ParseError("event", f"Unknown event {event!r}; one of newCall, answer, hangup")
    call_id = first("callId", "call_id")
    if call_id is None:
        raise ParseError("callId", "is required (callId or call_id)")
    if len(call_id) > MAX_CALL_ID:
        raise ParseError("callId", f"is longer than {MAX_CALL_ID} characters")
    users = tuple(v for key in _USER_KEYS for v in fields.get(key, []) if v.strip())
    # Zammad joins several users with ", " wherever it shows a single name.
    joined = ", ".join(users) or None
    kind = _EVENTS[event]
    cause = first("cause")
    agents: tuple[str, ...] = ()
    agent: str | None = None
    if kind is EventKind.RINGING:
        # Inbound, the users are the phones ringing; outbound, the agent placing the call.
        agents, agent = (users, None) if direction is Direction.INBOUND else ((), joined)
    elif kind is EventKind.ANSWERED:
        agent = joined
        if joined is not None and joined.strip().lower() == Cause.VOICEMAIL:
            # Zammad's documented way to say a voicemail box took the call.
            cause = Cause.VOICEMAIL
    elif cause == Cause.FORWARDED:
        kind = EventKind.TRANSFERRED
    raw = {key: values[0] if len(values) == 1 else values for key, values in fields.items()}
    return CallEvent(
        provider=Provider.ZAMMAD,
        call_id=call_id,
        kind=kind,
        # Zammad sends one event of each type per call and no time: the content is the identity.
        dedup_key=f"zammad:{call_id}:{event}:{stable_digest(raw)}",
        at_ms=received_at_ms,
        direction=direction,
        from_number=first("from"),
        to_number=first("to"),
        queue=first("queue"),
        agents=agents,
        agent=agent,
        agent_device=first("answeringNumber") if kind is EventKind.ANSWERED else None,
        cause=cause,
        raw=raw,
    )


def answer_ok() -> dict[str, Any]:
    """Zammad's plain acknowledgement: ``{}``."""
    return {}


def answer_reject() -> dict[str, Any]:
    """Tell the PBX to refuse a blocked caller, as Zammad does for its block list."""
    return {"action": "reject", "reason": "busy"}


def answer_dial(number: str, caller_id: str) -> dict[str, Any]:
    """Tell the PBX to place an outbound call to ``number`` showing ``caller_id``."""
    return {"action": "dial", "caller_id": caller_id, "number": number}


def answer_error(message: str) -> dict[str, Any]:
    """Zammad's error body; the status (401, 422) is the endpoint's to choose."""
    return {"error": message}
