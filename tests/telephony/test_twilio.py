import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import MultiDict
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from callcenter.telephony import twilio as tw
from callcenter.telephony.machine import fold
from callcenter.telephony.models import CallEvent, CallState, Direction, EventKind, ParseError, Provider

DOC = Path(__file__).resolve().parents[2] / "docs" / "TELEPHONY.md"
T0 = 1_767_225_600_000
PARENT = "CA" + "1" * 32
CHILD = "CA" + "2" * 32
TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"


def doc_ids(prefix: str) -> set[str]:
    return set(re.findall(rf"^\| ({prefix}\d+) \|", DOC.read_text(), flags=re.MULTILINE))


def voice(status: str = "ringing", **extra: str) -> dict[str, str]:
    """An inbound voice request as Twilio sends it (telephony-formats.md §2.1)."""
    return {"AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01", "CallSid": PARENT, "CallStatus": status,
            "Called": "+14155550100", "Caller": "+14155550199", "Direction": "inbound",
            "From": "+14155550199", "To": "+14155550100", **extra}


def status(seq: int, call_status: str, second: int, **extra: str) -> dict[str, str]:
    """A status callback for the parent call, numbered and stamped (§2.2)."""
    return {**voice(call_status), "CallbackSource": "call-progress-events", "SequenceNumber": str(seq),
            "Timestamp": f"Mon, 05 Jan 2026 09:{second // 60:02d}:{second % 60:02d} +0000", **extra}


def child(seq: int, call_status: str, second: int, to: str = "client:bob", **extra: str) -> dict[str, str]:
    """A status callback of the <Dial> leg to an agent."""
    return {**status(seq, call_status, second), "CallSid": CHILD, "ParentCallSid": PARENT,
            "Direction": "outbound-dial", "From": "+14155550199", "To": to, "Called": to, **extra}


def api(seq: int, call_status: str, second: int, **extra: str) -> dict[str, str]:
    """A status callback of a REST-created outbound call (a callback to a customer)."""
    return {**status(seq, call_status, second), "Direction": "outbound-api", "From": "+14155550100",
            "To": "+14155550199", **extra}


AT = 1_767_603_600_000  # Mon, 05 Jan 2026 09:00:00 +0000
CLIENT_VOICE = voice(From="client:alice", Caller="client:alice", To="+14155550123")

# (row, requests in order, fields expected on each event of the last request, state of the call so far)
ROWS: list[tuple[str, list[dict[str, str]], list[dict[str, Any]], CallState]] = [
    ("T1", [voice()], [{"kind": EventKind.RINGING, "direction": Direction.INBOUND, "route": True,
                        "call_id": PARENT, "from_number": "+14155550199"}], CallState.QUEUED),
    ("T2", [CLIENT_VOICE], [{"kind": EventKind.RINGING, "direction": Direction.OUTBOUND,
                             "agent": "client:alice", "route": True}], CallState.RINGING),
    ("T3", [voice(), child(0, "ringing", 5)], [{"kind": EventKind.RINGING, "call_id": PARENT,
                                                "agents": ("client:bob",), "direction": None,
                                                "from_number": None, "route": False}], CallState.RINGING),
    ("T4", [voice(), child(0, "ringing", 5), child(1, "in-progress", 9)],
     [{"kind": EventKind.ANSWERED, "agent": "client:bob", "at_ms": AT + 9000}], CallState.ANSWERED),
    ("T5", [voice(), child(3, "completed", 59, CallDuration="60")],
     [{"kind": EventKind.ANSWERED, "agent": "client:bob", "at_ms": AT - 1000},
      {"kind": EventKind.ENDED, "cause": "normalClearing", "at_ms": AT + 59_000}], CallState.ENDED),
    ("T6-no-answer", [voice(), child(0, "ringing", 5), child(1, "no-answer", 25)], [], CallState.RINGING),
    ("T6-busy", [voice(), child(0, "ringing", 5), child(1, "busy", 6)], [], CallState.RINGING),
    ("T6-canceled", [voice(), child(0, "ringing", 5), child(1, "canceled", 7)], [], CallState.RINGING),
    ("T6-failed", [voice(), child(1, "failed", 7)], [], CallState.QUEUED),
    ("T7", [voice(), voice("in-progress", Digits="2")],
     [{"kind": EventKind.RINGING, "ivr": "2", "route": True}], CallState.QUEUED),
    ("T8", [voice(), status(0, "completed", 40, CallDuration="40")],
     [{"kind": EventKind.ENDED, "cause": "normalClearing", "route": False}], CallState.ABANDONED),
    ("T9", [voice(), status(0, "canceled", 4)], [{"kind": EventKind.ENDED, "cause": "cancel"}],
     CallState.ABANDONED),
    ("T10-queued", [api(0, "queued", 0)], [{"kind": EventKind.RINGING, "direction": Direction.OUTBOUND}],
     CallState.RINGING),
    ("T10-initiated", [api(0, "initiated", 0)], [{"kind": EventKind.RINGING}], CallState.RINGING),
    ("T10-ringing", [api(1, "ringing", 1)], [{"kind": EventKind.RINGING}], CallState.RINGING),
    ("T11", [api(1, "ringing", 1), api(2, "in-progress", 8)], [{"kind": EventKind.ANSWERED, "cause": None}],
     CallState.ANSWERED),
    ("T12", [api(1, "ringing", 1), api(2, "in-progress", 8, AnsweredBy="machine_start")],
     [{"kind": EventKind.ANSWERED, "cause": "voicemail"}], CallState.MISSED),
    ("T13", [api(1, "ringing", 1), api(3, "completed", 40, CallDuration="30")],
     [{"kind": EventKind.ANSWERED, "at_ms": AT + 10_000}, {"kind": EventKind.ENDED, "at_ms": AT + 40_000}],
     CallState.ENDED),
    ("T14", [api(1, "ringing", 1), api(2, "busy", 3)], [{"kind": EventKind.ENDED, "cause": "busy"}],
     CallState.MISSED),
    ("T15", [api(1, "ringing", 1), api(2, "no-answer", 31)], [{"kind": EventKind.ENDED, "cause": "noAnswer"}],
     CallState.MISSED),
    ("T16", [api(2, "failed", 1)], [{"kind": EventKind.ENDED, "cause": "failed"}], CallState.MISSED),
    ("T17", [CLIENT_VOICE, child(0, "ringing", 5, to="+14155550123")],
     [{"kind": EventKind.RINGING, "agents": ()}], CallState.RINGING),
    ("T18", [voice(), child(0, "ringing", 5), child(1, "in-progress", 9), child(2, "completed", 70)],
     [{"kind": EventKind.ENDED, "at_ms": AT + 70_000}], CallState.ENDED),
]


def parse_all(requests: list[dict[str, str]]) -> list[tuple[CallEvent, ...]]:
    return [tw.parse_twilio(r, AT + i * 100) for i, r in enumerate(requests)]


@pytest.mark.parametrize(("row", "requests", "expected", "state"), ROWS, ids=[r[0] for r in ROWS])
def test_mapping_table(
    row: str, requests: list[dict[str, str]], expected: list[dict[str, Any]], state: CallState
) -> None:
    parsed = parse_all(requests)
    last = parsed[-1]
    assert [{name: getattr(e, name) for name in want} for e, want in zip(last, expected, strict=False)] == expected
    assert len(last) == len(expected)
    assert all(e.provider is Provider.TWILIO and e.raw == requests[-1] for e in last)
    assert fold([e for events in parsed for e in events]).state is state


def test_every_twilio_row_of_the_doc_has_a_test_row() -> None:
    assert {row.split("-")[0] for row, *_ in ROWS} == doc_ids("T")


def test_a_routed_call_folds_to_agent_talk_time() -> None:
    requests = [voice(), child(0, "initiated", 3), child(1, "ringing", 4), child(2, "in-progress", 10),
                child(3, "completed", 70, CallDuration="60"), status(0, "completed", 71, CallDuration="71")]
    events = [e for evs in parse_all(requests) for e in evs]
    record = fold(reversed(events))
    assert (record.state, record.agent, record.agents_rung) == (CallState.ENDED, "client:bob", ("client:bob",))
    assert (record.wait_s, record.talk_s, record.call_id) == (10.0, 60.0, PARENT)
    assert (record.from_number, record.direction, record.route_requested) == ("+14155550199", "inbound", True)


def test_callbacks_out_of_order_by_sequence_give_the_same_record() -> None:
    requests = [api(0, "initiated", 0), api(1, "ringing", 1), api(2, "in-progress", 8),
                api(3, "completed", 40, CallDuration="32")]
    events = [e for evs in parse_all(requests) for e in evs]
    resent = tw.parse_twilio(requests[2], AT + 99_000)
    assert resent[0].dedup_key == events[2].dedup_key
    assert fold([*events[::-1], *resent]) == fold(events)


def test_withheld_sentinel_is_kept_as_sent() -> None:
    (event,) = tw.parse_twilio(voice(From="+266696687", Caller="+266696687"), AT)
    assert event.from_number == "+266696687"
    assert fold([event]).caller_withheld


def test_caller_and_called_stand_in_for_from_and_to() -> None:
    sent = {k: v for k, v in voice().items() if k not in ("From", "To")}
    (event,) = tw.parse_twilio(sent, AT)
    assert (event.from_number, event.to_number) == ("+14155550199", "+14155550100")


def test_voice_requests_use_the_receive_time_and_callbacks_their_timestamp() -> None:
    assert tw.parse_twilio(voice(), AT + 123)[0].at_ms == AT + 123
    assert tw.parse_twilio(status(0, "completed", 7), 0)[0].at_ms == AT + 7000


ERRORS = [
    ("no CallSid", {k: v for k, v in voice().items() if k != "CallSid"}, "CallSid"),
    ("no CallStatus", {k: v for k, v in voice().items() if k != "CallStatus"}, "CallStatus"),
    ("unknown CallStatus", voice("answered"), "CallStatus"),
    ("no Direction", {k: v for k, v in voice().items() if k != "Direction"}, "Direction"),
    ("bad Direction", voice(Direction="sideways"), "Direction"),
    ("bad SequenceNumber", status(0, "ringing", 1, SequenceNumber="one"), "SequenceNumber"),
    ("negative CallDuration", status(0, "completed", 1, CallDuration="-5"), "CallDuration"),
    ("bad Timestamp", status(0, "ringing", 1, Timestamp="yesterday"), "Timestamp"),
]


@pytest.mark.parametrize(("case", "params", "field"), ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_params_name_the_field(case: str, params: dict[str, str], field: str) -> None:
    with pytest.raises(ParseError) as caught:
        tw.parse_twilio(params, AT)
    assert caught.value.field == field


# Signatures, checked against the official twilio library's RequestValidator.

VECTOR = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
          "From": "+14158675309", "To": "+18005551212"}


@pytest.mark.parametrize(
    ("url", "params", "expected"),
    [
        (URL, VECTOR, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        (URL.replace(".com/", ".com:443/"), VECTOR, "kvajT1Ptam85bY51eRf/AJRuM3w="),
        (URL, MultiDict([("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234"),
                         ("Digits", "1234")]), "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
    ],
)
def test_signature_vectors(url: str, params: Any, expected: str) -> None:
    assert tw.compute_signature(TOKEN, url, params) == expected
    assert RequestValidator(TOKEN).compute_signature(url, params) == expected
    assert tw.valid_signature(TOKEN, url, params, expected)


def test_a_request_signed_by_twilio_is_valid_and_any_change_is_not() -> None:
    params = voice()
    url = "https://cc.example.com/api/telephony/twilio/voice"
    signature = RequestValidator("s3cret").compute_signature(url, params)
    assert tw.valid_signature("s3cret", url, params, signature)
    assert tw.valid_signature("s3cret", url, MultiDict(params), signature)
    assert not tw.valid_signature("s3cret", url, {**params, "From": "+14155550000"}, signature)
    assert not tw.valid_signature("s3cret", url, {**params, "Extra": "1"}, signature)
    assert not tw.valid_signature("wrong", url, params, signature)
    assert not tw.valid_signature("s3cret", url + "?x=1", params, signature)
    assert not tw.valid_signature("s3cret", url.replace("https", "http"), params, signature)
    assert not tw.valid_signature("s3cret", url, params, "")
    assert not tw.valid_signature("s3cret", url, params, signature[:-2] + "A=")
    assert not tw.valid_signature("s3cret", url, params, "not ascii ü")


def test_the_default_port_may_be_signed_or_not() -> None:
    params = voice()
    with_port = RequestValidator(TOKEN).compute_signature("https://cc.example.com:443/voice", params)
    without = RequestValidator(TOKEN).compute_signature("https://cc.example.com/voice", params)
    assert tw.valid_signature(TOKEN, "https://cc.example.com/voice", params, with_port)
    assert tw.valid_signature(TOKEN, "https://cc.example.com:443/voice", params, without)
    assert RequestValidator(TOKEN).validate("https://cc.example.com/voice", params, with_port)


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=12), max_size=6),
       st.sampled_from(["https://cc.example.com/voice", "http://cc.example.com:8080/v?b=2&a=1"]))
def test_our_validator_agrees_with_twilios(params: dict[str, str], url: str) -> None:
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    assert tw.compute_signature(TOKEN, url, params) == signature
    assert tw.valid_signature(TOKEN, url, params, signature)
    assert RequestValidator(TOKEN).validate(url, params, signature)


def test_json_body_signature() -> None:
    body = b'{"property": "value", "boolean": true}'
    url = URL + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    signature = "a9nBmqA0ju/hNViExpshrM61xv4="
    assert RequestValidator(TOKEN).validate(url, body.decode(), signature)
    assert tw.valid_body_signature(TOKEN, url, body, signature)
    assert not tw.valid_body_signature(TOKEN, url, body + b" ", signature)
    assert not tw.valid_body_signature(TOKEN, URL, body, signature)


# TwiML: the same documents Twilio's own library writes, with every value escaped.

def test_twiml_matches_twilios_library() -> None:
    r = VoiceResponse()
    assert tw.twiml_empty() == str(r)
    r = VoiceResponse()
    r.reject(reason="busy")
    assert tw.twiml_reject() == str(r)
    r = VoiceResponse()
    r.say("We are closed", voice="alice", language="en-US")
    r.hangup()
    assert tw.twiml_say_hangup("We are closed", voice="alice", language="en-US") == str(r)
    r = VoiceResponse()
    r.enqueue("support", wait_url="/hold", action="/left")
    assert tw.twiml_enqueue("support", "/hold", "/left") == str(r)
    r = VoiceResponse()
    r.leave()
    assert tw.twiml_leave() == str(r)
    r = VoiceResponse()
    d = r.dial(caller_id="+15551234567", timeout=20, action="/dial-done", answer_on_bridge=True)
    d.client("agent_42", status_callback="https://ex.com/cb",
             status_callback_event="initiated ringing answered completed")
    assert tw.twiml_dial_client("agent_42", caller_id="+15551234567", timeout_s=20, action_url="/dial-done",
                                status_callback="https://ex.com/cb", answer_on_bridge=True) == str(r)


def test_twiml_escapes_every_value() -> None:
    hostile = 'a"b<c>&d</Enqueue><Hangup/>'
    xml = tw.twiml_enqueue(hostile, "/hold?a=1&b=2", "/x\"y")
    root = ElementTree.fromstring(xml)
    (enqueue,) = list(root)
    assert (enqueue.tag, enqueue.text) == ("Enqueue", hostile)
    assert enqueue.attrib == {"waitUrl": "/hold?a=1&b=2", "action": '/x"y'}
    (client,) = ElementTree.fromstring(tw.twiml_dial_client("x</Client>")).iter("Client")
    assert client.text == "x</Client>"
    (say,) = ElementTree.fromstring(tw.twiml_say_hangup("Tom & Jerry <3")).iter("Say")
    assert say.text == "Tom & Jerry <3"


def test_twiml_refuses_what_xml_cannot_carry() -> None:
    with pytest.raises(ValueError, match="XML"):
        tw.twiml_say_hangup("bell\x07")
    with pytest.raises(ValueError, match="reject reason"):
        tw.twiml_reject("go away")
    assert 'reason="rejected"' in tw.twiml_reject("rejected")
