import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.telephony.generic import parse_generic
from callcenter.telephony.machine import fold, order_key
from callcenter.telephony.models import (
    CallEvent,
    CallState,
    Direction,
    EventKind,
    Provider,
    is_withheld,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "TELEPHONY.md"
T0 = 1_767_225_600_000


def doc_ids(prefix: str) -> set[str]:
    return set(re.findall(rf"^\| ({prefix}\d+) \|", DOC.read_text(), flags=re.MULTILINE))


def ev(kind: str, at_s: float, **fields: Any) -> CallEvent:
    fields.setdefault("direction", Direction.INBOUND)
    key = f"{kind}@{at_s}:{sorted(fields.items())}"
    return CallEvent(Provider.GENERIC, "c1", EventKind(kind), key, T0 + round(at_s * 1000), **fields)


OUT = {"direction": Direction.OUTBOUND}
RING = ev("ringing", 0, agents=("alice",))

STATE_ROWS = [
    ("F1", [RING, ev("answered", 5, agent="alice"), ev("ended", 65, cause="normalClearing")], CallState.ENDED),
    ("F2-cancel", [RING, ev("ended", 9, cause="cancel")], CallState.ABANDONED),
    ("F2-abandon", [RING, ev("ended", 9, cause="abandon")], CallState.ABANDONED),
    ("F2-normal", [ev("ringing", 0), ev("ended", 9, cause="normalClearing")], CallState.ABANDONED),
    ("F2-twilio", [ev("ringing", 0), ev("ended", 9, cause="completed")], CallState.ABANDONED),
    ("F2-none", [ev("ringing", 0), ev("ended", 9)], CallState.ABANDONED),
    ("F3-busy", [RING, ev("ended", 9, cause="busy")], CallState.MISSED),
    ("F3-noanswer", [RING, ev("ended", 9, cause="noAnswer")], CallState.MISSED),
    ("F3-congestion", [RING, ev("ended", 9, cause="congestion")], CallState.MISSED),
    ("F3-failed", [RING, ev("ended", 9, cause="failed")], CallState.MISSED),
    ("F4-cancel", [ev("ringing", 0, **OUT), ev("ended", 9, cause="cancel", **OUT)], CallState.MISSED),
    ("F4-none", [ev("ringing", 0, **OUT), ev("ended", 9, **OUT)], CallState.MISSED),
    ("F5-open", [RING, ev("answered", 20, cause="voicemail")], CallState.MISSED),
    ("F5-ended", [RING, ev("answered", 20, agent="voicemail"), ev("ended", 50)], CallState.MISSED),
    ("F6-answered", [RING, ev("answered", 5), ev("transferred", 30)], CallState.TRANSFERRED),
    ("F6-unanswered", [RING, ev("transferred", 30, cause="forwarded")], CallState.TRANSFERRED),
    ("F6-then-ended", [RING, ev("answered", 5), ev("transferred", 30), ev("ended", 30)], CallState.TRANSFERRED),
    ("F7", [RING, ev("answered", 5, agent="alice")], CallState.ANSWERED),
    ("F8", [ev("ringing", 0), ev("ringing", 3, agents=("bob",))], CallState.RINGING),
    ("F9", [ev("ringing", 0, **OUT)], CallState.RINGING),
    ("F10", [ev("ringing", 0, queue="support")], CallState.QUEUED),
]


@pytest.mark.parametrize(("row", "events", "state"), STATE_ROWS, ids=[r[0] for r in STATE_ROWS])
def test_final_state_rules(row: str, events: list[CallEvent], state: CallState) -> None:
    record = fold(events)
    assert record.state is state
    assert record.state.final == (state not in (CallState.QUEUED, CallState.RINGING, CallState.ANSWERED))
    assert fold(reversed(events)) == record


def test_every_state_rule_of_the_doc_has_a_test_row() -> None:
    assert {row.split("-")[0] for row, _, _ in STATE_ROWS} == doc_ids("F")


def test_wait_talk_and_hold_follow_their_definitions() -> None:
    record = fold([
        ev("ringing", 0, queue="sales"),
        ev("ringing", 4, agents=("alice", "bob")),
        ev("answered", 10, agent="bob"),
        ev("hold", 20),
        ev("unhold", 35),
        ev("hold", 50),
        ev("unhold", 52),
        ev("ended", 100, cause="normalClearing"),
    ])
    assert (record.started_at, record.ringing_at, record.answered_at, record.ended_at) == (
        T0, T0 + 4000, T0 + 10_000, T0 + 100_000,
    )
    assert (record.wait_s, record.hold_s, record.talk_s) == (10.0, 17.0, 73.0)
    assert record.agents_rung == ("alice", "bob")
    assert record.agent == "bob"
    assert record.queue == "sales"
    assert record.on_hold_since is None
    assert record.event_count == 8


def test_an_unmatched_hold_closes_at_the_end() -> None:
    record = fold([RING, ev("answered", 10), ev("hold", 40), ev("ended", 70)])
    assert (record.hold_s, record.talk_s) == (30.0, 30.0)
    assert record.on_hold_since is None


def test_an_open_hold_is_reported_and_counts_nothing_yet() -> None:
    record = fold([RING, ev("answered", 10), ev("hold", 40)])
    assert record.state is CallState.ANSWERED
    assert record.on_hold_since == T0 + 40_000
    assert (record.hold_s, record.talk_s, record.wait_s) == (0.0, None, 10.0)


def test_hold_before_answer_and_unhold_without_hold_are_ignored() -> None:
    record = fold([RING, ev("hold", 2), ev("unhold", 3), ev("answered", 10), ev("ended", 20)])
    assert (record.hold_s, record.talk_s) == (0.0, 10.0)


def test_wait_runs_to_the_end_when_never_answered_and_is_open_while_waiting() -> None:
    assert fold([RING, ev("ended", 42, cause="cancel")]).wait_s == 42.0
    waiting = fold([RING])
    assert (waiting.wait_s, waiting.talk_s, waiting.hold_s) == (None, None, 0.0)


def test_voicemail_stops_the_wait_and_is_not_an_answer() -> None:
    record = fold([RING, ev("answered", 20, agent="voicemail"), ev("ended", 80)])
    assert (record.voicemail, record.answered_at, record.agent, record.cause) == (True, None, None, "voicemail")
    assert (record.wait_s, record.talk_s) == (20.0, None)


def test_events_after_the_end_change_no_lifecycle_field() -> None:
    record = fold([RING, ev("ended", 10, cause="cancel"), ev("answered", 12, agent="alice")])
    assert (record.state, record.answered_at, record.agent, record.ended_at) == (
        CallState.ABANDONED, None, None, T0 + 10_000,
    )
    assert record.last_event_at == T0 + 12_000


def test_same_millisecond_events_take_the_kind_rank_order() -> None:
    events = [ev("ended", 5), ev("unhold", 5), ev("hold", 5), ev("answered", 5), ev("ringing", 5)]
    record = fold(events)
    assert record.state is CallState.ENDED
    assert (record.wait_s, record.talk_s, record.hold_s) == (0.0, 0.0, 0.0)


def test_identity_comes_from_the_first_event_and_choices_from_the_latest() -> None:
    record = fold([
        ev("ringing", 0, from_number="+4930111", to_number="+4930999", ivr="1", language="de"),
        ev("ringing", 5, ivr="3", queue="billing", direction=Direction.OUTBOUND),
        ev("ended", 9, from_number=None),
    ])
    assert (record.from_number, record.to_number, record.direction) == ("+4930111", "+4930999", "inbound")
    assert (record.ivr, record.language, record.queue) == ("3", "de", "billing")


def test_an_outbound_callers_agent_is_kept_when_the_answer_names_none() -> None:
    record = fold([ev("ringing", 0, agent="alice", **OUT), ev("answered", 8, **OUT)])
    assert (record.state, record.agent) == (CallState.ANSWERED, "alice")


def test_copies_sharing_a_key_resolve_the_same_way_in_any_order() -> None:
    a = ev("ringing", 0, agents=("alice",))
    b = replace(a, agents=("bob",))
    assert fold([a, b]) == fold([b, a])
    assert fold([a, b]).agents_rung == ("alice",)


def test_fold_refuses_what_it_cannot_fold() -> None:
    with pytest.raises(ValueError, match="without events"):
        fold([])
    with pytest.raises(ValueError, match="more than one call"):
        fold([RING, replace(RING, call_id="c2", dedup_key="x")])
    with pytest.raises(ValueError, match="no at_ms"):
        order_key(replace(RING, at_ms=None))


# Shuffled and duplicated lifecycles fold to the identical record.

AGENTS = st.lists(st.sampled_from(["alice", "bob", "carol"]), max_size=2, unique=True)
CAUSES = st.sampled_from([None, "cancel", "busy", "normalClearing", "noAnswer", "voicemail", "forwarded"])


@st.composite
def lifecycles(draw: st.DrawFn) -> list[tuple[dict[str, Any], int]]:
    """Bodies of our JSON format with their receive times; times are random, so often out of order."""
    direction = draw(st.sampled_from(["inbound", "outbound"]))
    base = {"call_id": "call-1", "direction": direction, "from": "+4930123456", "to": "+4930999"}
    bodies: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 3))):
        bodies.append({"event": "ringing", "agents": draw(AGENTS), "queue": draw(st.sampled_from([None, "q1"]))})
    if draw(st.booleans()):
        bodies.append({"event": "answered", "agent": draw(st.sampled_from(["alice", "voicemail"]))})
    for _ in range(draw(st.integers(0, 2))):
        bodies.append({"event": "hold"})
        if draw(st.booleans()):
            bodies.append({"event": "unhold"})
    end = draw(st.sampled_from([None, "ended", "transferred"]))
    if end:
        bodies.append({"event": end, "cause": draw(CAUSES)})
    timed: list[tuple[dict[str, Any], int]] = []
    for body in bodies:
        at = draw(st.integers(0, 600))
        if draw(st.booleans()):
            body["at"] = f"2026-01-05T09:{at // 60:02d}:{at % 60:02d}Z"
        timed.append(({**base, **body}, T0 + at * 1000))
    return timed


@settings(max_examples=300)
@given(lifecycles(), st.data())
def test_shuffled_and_duplicated_events_fold_to_the_identical_record(
    timed: list[tuple[dict[str, Any], int]], data: st.DataObject
) -> None:
    events = [parse_generic(body, received) for body, received in timed]
    copies = data.draw(st.lists(st.sampled_from(events), max_size=6))
    # A re-send of a body without "at" arrives later, so it gets a later receive time.
    resent = [parse_generic(body, received + 60_000) for body, received in
              data.draw(st.lists(st.sampled_from(timed), max_size=4))]
    mixed = data.draw(st.permutations(events + copies + resent))
    record = fold(events)
    assert fold(mixed) == record
    assert record.hold_s >= 0
    for value in (record.wait_s, record.talk_s):
        assert value is None or value >= 0
    if record.ended_at is not None:
        total = (record.ended_at - record.started_at) / 1000
        assert (record.wait_s or 0) + (record.talk_s or 0) + record.hold_s <= total + 1e-9


WITHHELD_ROWS = [
    ("W1", ["anonymous", "Anonymous", "ANONYMOUS"], True),
    ("W2", ["unknown", "<unknown>", "Restricted", "private", "unavailable", "withheld", "blocked"], True),
    ("W3", ["", "  "], True),
    ("W4", ["sip:anonymous@anonymous.invalid"], True),
    ("W5", ["+266696687", "+86282452253", "+8656696", "+2562533", "+7378742833"], True),
    ("W6", ["266696687", "8656696", "2562533"], False),
    ("W7", ["+14155550199", "493055571600", "client:alice"], False),
    ("W8", [None], False),
]


@pytest.mark.parametrize(("row", "values", "withheld"), WITHHELD_ROWS, ids=[r[0] for r in WITHHELD_ROWS])
def test_withheld_numbers(row: str, values: list[str | None], withheld: bool) -> None:
    assert [is_withheld(value) for value in values] == [withheld] * len(values)
    record = fold([ev("ringing", 0, from_number=values[0])])
    assert record.caller_withheld is withheld


def test_every_withheld_row_of_the_doc_has_a_test_row() -> None:
    assert {row for row, _, _ in WITHHELD_ROWS} == doc_ids("W")
