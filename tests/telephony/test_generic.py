import hashlib
import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from callcenter.telephony.generic import parse_generic
from callcenter.telephony.machine import fold
from callcenter.telephony.models import (
    CallEvent,
    CallState,
    Direction,
    EventKind,
    ParseError,
    Provider,
    canonical_json,
    stable_digest,
)
from callcenter.telephony.store import event_from_json, event_to_json

DOC = Path(__file__).resolve().parents[2] / "docs" / "TELEPHONY.md"
T0 = 1_767_225_600_000


def doc_ids(prefix: str) -> set[str]:
    return set(re.findall(rf"^\| ({prefix}\d+) \|", DOC.read_text(), flags=re.MULTILINE))


def body(event: str, **fields: Any) -> dict[str, Any]:
    sent = {"event": event, "call_id": "pbx-77", "direction": "inbound", "from": "+4930123456", "to": "+4930999"}
    sent.update({key.rstrip("_"): value for key, value in fields.items()})
    return sent


def parse_all(bodies: list[dict[str, Any]]) -> list[CallEvent]:
    # One second between receipts, so bodies without "at" keep the order they are listed in.
    return [parse_generic(b, T0 + i * 1000) for i, b in enumerate(bodies)]


G1 = body("ringing")
G2 = body("ringing", agents=["alice", "bob"])
G3 = body("answered", agent="alice")
G4 = body("hold")
OUT = {"direction": "outbound"}

# (row, bodies in order, fields expected on the last event, state of the call so far)
ROWS: list[tuple[str, list[dict[str, Any]], dict[str, Any], CallState | None]] = [
    ("G1", [G1], {"kind": EventKind.RINGING, "agents": ()}, CallState.QUEUED),
    ("G2", [G2], {"kind": EventKind.RINGING, "agents": ("alice", "bob")}, CallState.RINGING),
    ("G3", [G2, G3], {"kind": EventKind.ANSWERED, "agent": "alice"}, CallState.ANSWERED),
    ("G4", [G2, G3, G4], {"kind": EventKind.HOLD}, CallState.ANSWERED),
    ("G5", [G2, G3, G4, body("unhold")], {"kind": EventKind.UNHOLD}, CallState.ANSWERED),
    ("G6", [G2, G3, body("ended", cause="normalClearing")], {"kind": EventKind.ENDED}, CallState.ENDED),
    ("G7", [G2, body("ended", cause="cancel")], {"kind": EventKind.ENDED, "cause": "cancel"}, CallState.ABANDONED),
    ("G8", [G1, body("ended")], {"kind": EventKind.ENDED, "cause": None}, CallState.ABANDONED),
    ("G9", [G2, body("ended", cause="busy")], {"kind": EventKind.ENDED, "cause": "busy"}, CallState.MISSED),
    ("G10", [body("ringing", **OUT), body("ended", cause="noAnswer", **OUT)],
     {"kind": EventKind.ENDED, "direction": Direction.OUTBOUND}, CallState.MISSED),
    ("G11", [G2, G3, body("transferred")], {"kind": EventKind.TRANSFERRED}, CallState.TRANSFERRED),
    ("G12", [G1, body("answered", cause="voicemail")],
     {"kind": EventKind.ANSWERED, "cause": "voicemail"}, CallState.MISSED),
    ("G13", [body("ringing", **OUT)], {"kind": EventKind.RINGING, "direction": Direction.OUTBOUND},
     CallState.RINGING),
    ("G14", [body("ringing", route=True, queue="support", ivr="2", language="de")],
     {"route": True, "queue": "support", "ivr": "2", "language": "de"}, CallState.QUEUED),
    ("G15", [body("ringing", at="2026-01-05T09:00:00+01:00")], {"at_ms": 1_767_600_000_000}, None),
    ("G16", [body("ringing")], {"at_ms": T0}, None),
    ("G17", [body("transferred", call_id="pbx-78", parent_call_id="pbx-77")],
     {"kind": EventKind.TRANSFERRED, "parent_call_id": "pbx-77", "call_id": "pbx-78"}, CallState.TRANSFERRED),
]


@pytest.mark.parametrize(("row", "bodies", "expected", "state"), ROWS, ids=[r[0] for r in ROWS])
def test_mapping_table(
    row: str, bodies: list[dict[str, Any]], expected: dict[str, Any], state: CallState | None
) -> None:
    events = parse_all(bodies)
    last = events[-1]
    assert last.provider is Provider.GENERIC
    assert {name: getattr(last, name) for name in expected} == expected
    assert last.raw == bodies[-1]
    if state is not None:
        assert fold(events).state is state


def test_every_generic_row_of_the_doc_has_a_test_row() -> None:
    assert {row for row, *_ in ROWS} == doc_ids("G")


def test_numbers_are_kept_as_sent_including_an_empty_withheld_one() -> None:
    event = parse_generic(body("ringing", from_="", to="0301234"), T0)
    assert (event.from_number, event.to_number) == ("", "0301234")


def test_hold_durations_come_through_from_the_wire() -> None:
    bodies = [G2, G3, G4, body("unhold"), body("ended")]
    record = fold(parse_all(bodies))
    assert (record.wait_s, record.hold_s, record.talk_s) == (1.0, 1.0, 2.0)


def test_a_resent_body_has_the_same_key_and_any_change_a_different_one() -> None:
    first = parse_generic(G3, T0)
    again = parse_generic(dict(reversed(G3.items())), T0 + 30_000)
    assert first.dedup_key == again.dedup_key
    assert first.at_ms != again.at_ms
    others = [body("answered", agent="bob"), body("answered", agent="alice", at="2026-01-05T09:00:00Z"),
              body("ringing", agent="alice"), body("answered", agent="alice", call_id="pbx-78")]
    keys = {parse_generic(b, T0).dedup_key for b in others}
    assert len(keys) == len(others)
    assert first.dedup_key not in keys


def test_extra_fields_are_kept_in_raw_and_ignored() -> None:
    event = parse_generic({**G1, "pbx_node": 3}, T0)
    assert event.raw["pbx_node"] == 3
    assert event.dedup_key == parse_generic(G1, T0).dedup_key


ERRORS = [
    ("not an object", ["ringing"], "body"),
    ("no call id", {k: v for k, v in G1.items() if k != "call_id"}, "call_id"),
    ("empty call id", body("ringing", call_id="  "), "call_id"),
    ("numeric call id", body("ringing", call_id=77), "call_id"),
    ("long call id", body("ringing", call_id="x" * 251), "call_id"),
    ("no event", {k: v for k, v in G1.items() if k != "event"}, "event"),
    ("unknown event", body("dtmf"), "event"),
    ("event case", body("Ringing"), "event"),
    ("bad direction", body("ringing", direction="in"), "direction"),
    ("no from", {k: v for k, v in G1.items() if k != "from"}, "from"),
    ("numeric to", body("ringing", to=4930999), "to"),
    ("bad at", body("ringing", at="yesterday"), "at"),
    ("at without offset", body("ringing", at="2026-01-05T09:00:00"), "at"),
    ("numeric at", body("ringing", at=1767600000000), "at"),
    ("agents not a list", body("ringing", agents="alice"), "agents"),
    ("agents of numbers", body("ringing", agents=[1001]), "agents"),
    ("route as text", body("ringing", route="yes"), "route"),
    ("agent as list", body("answered", agent=["alice"]), "agent"),
    ("queue as number", body("ringing", queue=5), "queue"),
]


@pytest.mark.parametrize(("case", "sent", "field"), ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_input_names_the_field(case: str, sent: Any, field: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_generic(sent, T0)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


@pytest.mark.parametrize("value", [
    {"event": "ringing", "call_id": "c-1", "agents": ["alice", "bob"], "at": None, "route": False, "n": 2**40},
    {"from": "+86 10 8888 0000", "name": "王小明 Müller", "line": "\u2028", "quote": "\"\\/\x01"},
    {"user[]": ["Alice", "Bob"], "nested": {"b": [1, {"d": True, "c": None}], "a": 10**30}},
])
def test_dedup_digests_match_the_json_encoding_of_earlier_versions(value: dict[Any, Any]) -> None:
    # Dedup keys stored before the switch to orjson must still match a re-sent event.
    earlier = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    assert canonical_json(value) == earlier.encode()
    assert stable_digest(value) == hashlib.sha256(earlier.encode()).hexdigest()[:20]


def test_stored_events_read_back_equal_and_fields_added_later_take_their_defaults() -> None:
    event = parse_generic(body("answered", agent="alice", agents=["alice", "bob"], parent_call_id="pbx-1"), T0)
    stored = event_to_json(event)
    assert event_from_json(stored) == event
    older = orjson.loads(stored)
    del older["agent_device"], older["route"]  # as written before those fields existed
    again = event_from_json(orjson.dumps(older).decode())
    assert again == event and again.agent_device is None and again.route is False and again.raw == {}
