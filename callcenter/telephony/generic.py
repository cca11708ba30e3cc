"""Our own JSON webhook (``POST /api/telephony/events``) read into a CallEvent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TypeVar

from callcenter.telephony.models import CallEvent, Direction, EventKind, ParseError, Provider, stable_digest

MAX_ID = 250
MAX_TEXT = 200
MAX_AGENTS = 50

_Choice = TypeVar("_Choice", EventKind, Direction)
_OPTIONAL_TEXT = ("queue", "agent", "cause", "ivr", "language", "parent_call_id")


def parse_generic(body: object, received_at_ms: int) -> CallEvent:
    """Read one event of our JSON format; ``at`` defaults to the receive time.

    Raises ParseError naming the first field that is missing, of the wrong type or unknown.
    """
    if not isinstance(body, Mapping):
        raise ParseError("body", "must be a JSON object")
    kind = _choice(body, "event", EventKind)
    call_id = _required(body, "call_id", limit=MAX_ID)
    direction = _choice(body, "direction", Direction)
    # An empty number is what some PBXs send for a withheld caller ID, so it is kept as sent.
    from_number = _required(body, "from", limit=MAX_TEXT, allow_empty=True)
    to_number = _required(body, "to", limit=MAX_TEXT, allow_empty=True)
    texts = {name: _text(body, name, limit=MAX_ID if name == "parent_call_id" else MAX_TEXT)
             for name in _OPTIONAL_TEXT}
    agents = _agents(body)
    sent_at = _instant(body)
    route = body.get("route", False)
    if route is None:
        route = False
    if not isinstance(route, bool):
        raise ParseError("route", "must be true or false")
    # Everything the fold reads, as sent: a re-sent body hashes the same, any change does not.
    content = {
        "event": kind, "call_id": call_id, "direction": direction, "from": from_number,
        "to": to_number, "agents": agents, "at": sent_at, "route": route, **texts,
    }
    return CallEvent(
        provider=Provider.GENERIC,
        call_id=call_id,
        kind=kind,
        dedup_key=f"generic:{call_id}:{kind}:{sent_at if sent_at is not None else '-'}:"
        f"{stable_digest(content)}",
        at_ms=sent_at if sent_at is not None else received_at_ms,
        direction=direction,
        from_number=from_number,
        to_number=to_number,
        queue=texts["queue"],
        agents=agents,
        agent=texts["agent"],
        cause=texts["cause"],
        ivr=texts["ivr"],
        language=texts["language"],
        parent_call_id=texts["parent_call_id"],
        route=route,
        raw=dict(body),
    )


def _choice(body: Mapping[str, object], name: str, enum: type[_Choice]) -> _Choice:
    value = body.get(name)
    member = enum._value2member_map_.get(value) if isinstance(value, str) else None
    if member is not None:
        return member  # type: ignore[return-value]
    allowed = ", ".join(m.value for m in enum)
    if value is None:
        raise ParseError(name, f"is required; one of {allowed}")
    raise ParseError(name, f"must be one of {allowed}, not {value!r}")


def _text(body: Mapping[str, object], name: str, *, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParseError(name, f"must be a string, not {type(value).__name__}")
    if len(value) > limit:
        raise ParseError(name, f"is longer than {limit} characters")
    return value if value.strip() else None


def _required(body: Mapping[str, object], name: str, *, limit: int, allow_empty: bool = False) -> str:
    if body.get(name) is None:
        raise ParseError(name, "is required")
    value = body[name]
    if not isinstance(value, str):
        raise ParseError(name, f"must be a string, not {type(value).__name__}")
    if len(value) > limit:
        raise ParseError(name, f"is longer than {limit} characters")
    if not value.strip() and not allow_empty:
        raise ParseError(name, "must not be empty")
    return value


def _agents(body: Mapping[str, object]) -> tuple[str, ...]:
    value = body.get("agents")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ParseError("agents", "must be a list of strings")
    if len(value) > MAX_AGENTS:
        raise ParseError("agents", f"names more than {MAX_AGENTS} agents")
    names: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_TEXT:
            raise ParseError("agents", f"must hold non-empty strings of at most {MAX_TEXT} characters")
        names.append(item)
    return tuple(names)


def _instant(body: Mapping[str, object]) -> int | None:
    value = body.get("at")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParseError("at", "must be an ISO-8601 string")
    try:
        when = datetime.fromisoformat(value)
    except ValueError as err:
        raise ParseError("at", f"is not an ISO-8601 date-time: {value!r}") from err
    if when.utcoffset() is None:
        # A time without an offset means a different instant in every PBX's zone.
        raise ParseError("at", "needs a UTC offset, e.g. 2026-01-01T09:00:00Z")
    return round(when.timestamp() * 1000)
