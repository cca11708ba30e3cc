import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from callcenter.telephony.machine import fold
from callcenter.telephony.models import CallEvent, CallState, Direction, EventKind, ParseError, Provider
from callcenter.telephony.zammad import (
    answer_dial,
    answer_error,
    answer_ok,
    answer_reject,
    pairs_from_json,
    parse_zammad,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "TELEPHONY.md"
T0 = 1_767_225_600_000
CALL = "307fa962-de8d-4ffc-817b-7f6993204159"


def doc_ids(prefix: str) -> set[str]:
    return set(re.findall(rf"^\| ({prefix}\d+) \|", DOC.read_text(), flags=re.MULTILINE))


def form(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True)


def js(**fields: Any) -> list[tuple[str, str]]:
    return pairs_from_json({key.rstrip("_"): value for key, value in fields.items()})


# Payloads as quoted from Zammad's docs and request specs (telephony-formats.md §1.3).
DOC_NEW = js(event="newCall", from_="493023125741", to="492214710334", direction="in", callId=CALL,
             user=["Christopher Miller", "Emma Taylor"])
DOC_ANSWER = js(event="answer", from_="493023125741", to="492214710334", direction="in", callId=CALL,
                answeringNumber="emma@chrispresso.com", user="Emma Taylor")
DOC_HANGUP = js(event="hangup", from_="493023125741", to="492214710334", direction="in", callId=CALL,
                answeringNumber="emma@chrispresso.com", cause="normalClearing")
SIPGATE_NEW = form("event=newCall&direction=in&from=4912347114711&to=4930600000000"
                   "&callId=4991155921769858278-1&user%5B%5D=user+1&user%5B%5D=user+2")
SIPGATE_HANGUP_OUT = form("event=hangup&direction=out&callId=1234567890-1&cause=cancel")
NEW_OUT = form("event=newCall&direction=out&from=4930600000000&to=4912347114711&callId=1234567890-1"
               "&user=Christopher+Miller")


def pairs_of(payload: list[tuple[str, str]], **changes: str) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in payload if k not in changes]
    return kept + [(k, v) for k, v in changes.items()]


def hangup(cause: str, base: list[tuple[str, str]] = SIPGATE_NEW) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in base if k in ("direction", "from", "to", "callId")]
    return [("event", "hangup"), *kept, ("cause", cause)]


def answer(base: list[tuple[str, str]] = SIPGATE_NEW, **fields: Any) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in base if k in ("direction", "from", "to", "callId")]
    return [("event", "answer"), *kept, *js(**fields)]


# (row, payloads in order, fields expected on the last event, state of the call so far)
ROWS: list[tuple[str, list[list[tuple[str, str]]], dict[str, Any], CallState]] = [
    ("Z1", [SIPGATE_NEW], {"kind": EventKind.RINGING, "direction": Direction.INBOUND,
                           "agents": ("user 1", "user 2"), "call_id": "4991155921769858278-1",
                           "from_number": "4912347114711"}, CallState.RINGING),
    ("Z2", [js(event="newCall", direction="in", from_="493023125741", to="492214710334", callId="q-1",
               queue="support")], {"agents": (), "queue": "support"}, CallState.QUEUED),
    ("Z3", [NEW_OUT], {"kind": EventKind.RINGING, "direction": Direction.OUTBOUND, "agents": (),
                       "agent": "Christopher Miller"}, CallState.RINGING),
    ("Z4", [DOC_NEW, DOC_ANSWER], {"kind": EventKind.ANSWERED, "agent": "Emma Taylor",
                                   "agent_device": "emma@chrispresso.com"}, CallState.ANSWERED),
    ("Z5", [DOC_NEW, pairs_of(DOC_ANSWER, user="") + js(caller=["Christopher Miller", "Emma Taylor"])],
     {"kind": EventKind.ANSWERED, "agent": "Christopher Miller, Emma Taylor"}, CallState.ANSWERED),
    ("Z6", [SIPGATE_NEW, answer(user="voicemail")], {"kind": EventKind.ANSWERED, "cause": "voicemail"},
     CallState.MISSED),
    ("Z7", [DOC_NEW, DOC_ANSWER, DOC_HANGUP], {"kind": EventKind.ENDED, "cause": "normalClearing",
                                               "agent_device": None}, CallState.ENDED),
    ("Z8", [SIPGATE_NEW, hangup("cancel")], {"kind": EventKind.ENDED, "cause": "cancel"}, CallState.ABANDONED),
    ("Z9", [SIPGATE_NEW, hangup("noAnswer")], {"kind": EventKind.ENDED, "cause": "noAnswer"}, CallState.MISSED),
    ("Z10", [SIPGATE_NEW, hangup("busy")], {"kind": EventKind.ENDED, "cause": "busy"}, CallState.MISSED),
    ("Z11", [SIPGATE_NEW, hangup("forwarded")], {"kind": EventKind.TRANSFERRED, "cause": "forwarded"},
     CallState.TRANSFERRED),
    ("Z12", [NEW_OUT, SIPGATE_HANGUP_OUT], {"kind": EventKind.ENDED, "from_number": None, "to_number": None,
                                            "cause": "cancel"}, CallState.MISSED),
    ("Z13", [SIPGATE_NEW, hangup("cancel"), answer(user="user 1")], {"kind": EventKind.ANSWERED},
     CallState.ABANDONED),
    ("Z14", [[*pairs_of(SIPGATE_NEW, callId=""), ("call_id", "via-underscore")]],
     {"call_id": "via-underscore"}, CallState.RINGING),
]


def parse_all(payloads: list[list[tuple[str, str]]]) -> list[CallEvent]:
    return [parse_zammad(p, T0 + i * 1000) for i, p in enumerate(payloads)]


@pytest.mark.parametrize(("row", "payloads", "expected", "state"), ROWS, ids=[r[0] for r in ROWS])
def test_mapping_table(
    row: str, payloads: list[list[tuple[str, str]]], expected: dict[str, Any], state: CallState
) -> None:
    events = parse_all(payloads)
    last = events[-1]
    assert last.provider is Provider.ZAMMAD
    assert last.at_ms == T0 + (len(payloads) - 1) * 1000
    assert {name: getattr(last, name) for name in expected} == expected
    assert fold(events).state is state


def test_every_zammad_row_of_the_doc_has_a_test_row() -> None:
    assert {row for row, *_ in ROWS} == doc_ids("Z")


def test_the_documented_call_folds_to_zammads_own_durations() -> None:
    events = [parse_zammad(DOC_NEW, T0), parse_zammad(DOC_ANSWER, T0 + 7000),
              parse_zammad(DOC_HANGUP, T0 + 67_000)]
    record = fold(events)
    assert (record.wait_s, record.talk_s) == (7.0, 60.0)
    assert record.agents_rung == ("Christopher Miller", "Emma Taylor")
    assert (record.agent, record.from_number, record.to_number) == ("Emma Taylor", "493023125741", "492214710334")


def test_json_and_form_bodies_read_alike() -> None:
    as_json = parse_zammad(js(event="newCall", direction="in", from_="4912347114711", to="4930600000000",
                              callId="4991155921769858278-1", user=["user 1", "user 2"]), T0)
    as_form = parse_zammad(SIPGATE_NEW, T0)
    assert as_json.agents == as_form.agents == ("user 1", "user 2")
    assert (as_json.kind, as_json.from_number, as_json.call_id) == (as_form.kind, as_form.from_number,
                                                                    as_form.call_id)


def test_a_comma_string_of_users_is_kept_as_sent() -> None:
    event = parse_zammad(pairs_of(SIPGATE_NEW, **{"user[]": "user 1,user 2"}), T0)
    assert event.agents == ("user 1,user 2",)


def test_a_resent_event_has_the_same_key_and_others_differ() -> None:
    keys = [parse_zammad(p, T0).dedup_key for p in (DOC_NEW, DOC_ANSWER, DOC_HANGUP)]
    assert len(set(keys)) == 3
    reordered = DOC_NEW[1:] + DOC_NEW[:1]
    assert parse_zammad(reordered, T0 + 5000).dedup_key == keys[0]
    swapped_users = [p for p in DOC_NEW if p[0] != "user"] + [("user", "Emma Taylor")]
    assert parse_zammad(swapped_users, T0).dedup_key not in keys


def test_pairs_from_json_flattens_lists_and_scalars() -> None:
    assert pairs_from_json({"user": ["a", "b"], "n": 5, "flag": True, "gone": None}) == [
        ("user", "a"), ("user", "b"), ("n", "5"), ("flag", "true"),
    ]


ERRORS = [
    ("no direction", [("event", "newCall"), ("callId", "1")], "direction", "Invalid direction!"),
    ("direction inbound", pairs_of(SIPGATE_NEW, direction="inbound"), "direction", "Invalid direction!"),
    ("direction before event", [("event", "dtmf"), ("direction", "x"), ("callId", "1")], "direction",
     "Invalid direction!"),
    ("unknown event", pairs_of(SIPGATE_NEW, event="dtmf"), "event", None),
    ("no event", [(k, v) for k, v in SIPGATE_NEW if k != "event"], "event", None),
    ("no call id", [(k, v) for k, v in SIPGATE_NEW if k != "callId"], "callId", None),
    ("long call id", pairs_of(SIPGATE_NEW, callId="x" * 251), "callId", None),
]


@pytest.mark.parametrize(("case", "pairs", "field", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_input_names_the_field(
    case: str, pairs: list[tuple[str, str]], field: str, message: str | None
) -> None:
    with pytest.raises(ParseError) as caught:
        parse_zammad(pairs, T0)
    assert caught.value.field == field
    if message is not None:
        assert caught.value.message == message
        assert answer_error(caught.value.message) == {"error": message}


@pytest.mark.parametrize("body", [["a"], {"user": {"nested": 1}}, {"user": [["a"]]}])
def test_pairs_from_json_refuses_other_shapes(body: object) -> None:
    with pytest.raises(ParseError):
        pairs_from_json(body)


def test_answers_have_zammads_shapes() -> None:
    assert answer_ok() == {}
    assert answer_reject() == {"action": "reject", "reason": "busy"}
    assert answer_dial("4912347114711", "4930600000000") == {
        "action": "dial", "caller_id": "4930600000000", "number": "4912347114711",
    }
