"""Twilio Programmable Voice: webhook and status-callback params read into CallEvents, and signatures.

A Twilio conversation is a parent call (the caller's leg, ``CallSid``) plus child legs that
``<Dial>`` creates (``ParentCallSid`` set). Child legs are folded into the parent's record: the
agent's phone ringing and answering happen on the child, while Twilio "answering" an inbound
parent only means our TwiML started to run. The TwiML builders live in ``twiml`` and are
re-exported here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit, urlunsplit

from callcenter.telephony.models import CallEvent, Cause, Direction, EventKind, ParseError, Provider, stable_digest
from callcenter.telephony.twiml import (
    twiml_dial_client,
    twiml_empty,
    twiml_enqueue,
    twiml_hold_message,
    twiml_leave,
    twiml_reject,
    twiml_say_hangup,
    twiml_voicemail,
)

__all__ = [
    "SIGNATURE_HEADER",
    "compute_signature",
    "parse_twilio",
    "twiml_dial_client",
    "twiml_empty",
    "twiml_enqueue",
    "twiml_hold_message",
    "twiml_leave",
    "twiml_reject",
    "twiml_say_hangup",
    "twiml_voicemail",
    "valid_body_signature",
    "valid_signature",
]

SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_TEXT = 250
_RINGING = frozenset({"queued", "initiated", "ringing"})
_ENDED = {
    "completed": Cause.NORMAL_CLEARING,
    "busy": Cause.BUSY,
    "no-answer": Cause.NO_ANSWER,
    "canceled": Cause.CANCEL,
    "failed": Cause.FAILED,
}
_STATUSES = (*sorted(_RINGING), "in-progress", *_ENDED)
# Legs whose callee is an agent's device rather than a phone number.
_AGENT_PREFIXES = ("client:", "sip:", "sips:")

Params = Mapping[str, str] | Iterable[tuple[str, str]]


def parse_twilio(params: Mapping[str, str], received_at_ms: int) -> tuple[CallEvent, ...]:
    """Map one voice webhook or status callback onto the events of its conversation (zero to two).

    Raises ParseError naming the param that is missing or malformed.
    """
    sid = _get(params, "CallSid", required=True)
    status = _get(params, "CallStatus", required=True)
    if status not in _STATUSES:
        raise ParseError("CallStatus", f"must be one of {', '.join(_STATUSES)}, not {status!r}")
    leg = _get(params, "Direction", required=True)
    if leg != "inbound" and not leg.startswith("outbound"):
        raise ParseError("Direction", f"must be inbound or outbound-*, not {leg!r}")
    sequence = _integer(params, "SequenceNumber")
    duration = _integer(params, "CallDuration")
    at = _timestamp(params) or received_at_ms
    callback = params.get("CallbackSource") == "call-progress-events"
    # Status callbacks are numbered; anything else (voice requests, action URLs) is told
    # apart by its whole content, so a retried request hashes the same.
    tag = str(sequence) if sequence is not None else stable_digest(dict(params))
    key = f"twilio:{sid}:{status}:{tag}"
    machine = params.get("AnsweredBy", "").startswith(("machine", "fax"))
    answered_cause = Cause.VOICEMAIL if machine else None
    callee = _get(params, "To") or _get(params, "Called")
    parent = _get(params, "ParentCallSid")
    raw: dict[str, object] = dict(params)

    if parent:
        device = callee if callee.startswith(_AGENT_PREFIXES) else None
        base = CallEvent(Provider.TWILIO, parent, EventKind.RINGING, key, at, raw=raw)
        if status in _RINGING:
            return (replace(base, agents=(device,) if device else ()),)
        if status == "in-progress":
            return (replace(base, kind=EventKind.ANSWERED, agent=device, cause=answered_cause),)
        if status == "completed":
            end = replace(base, kind=EventKind.ENDED, cause=Cause.NORMAL_CLEARING)
            return (*_implied_answer(end, duration, agent=device), end)
        # The agent did not take it; the parent's <Dial action> request decides what comes next.
        return ()

    caller = _get(params, "From") or _get(params, "Caller")
    # A browser phone placing a call reaches us as an "inbound" leg from client:<identity>.
    from_agent = caller.startswith("client:")
    outbound = leg.startswith("outbound") or from_agent
    base = CallEvent(
        Provider.TWILIO,
        sid,
        EventKind.RINGING,
        key,
        at,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        from_number=caller or None,
        to_number=callee or None,
        agent=caller if from_agent else None,
        ivr=_get(params, "Digits") or None,
        route=not callback,
        raw=raw,
    )
    if status in _RINGING:
        return (base,)
    if status == "in-progress":
        # Only a REST-created call is "in progress" because a person (or machine) picked up.
        if leg.startswith("outbound"):
            return (replace(base, kind=EventKind.ANSWERED, cause=answered_cause),)
        return (base,)
    end = replace(base, kind=EventKind.ENDED, cause=_ENDED[status])
    if status == "completed" and leg.startswith("outbound"):
        return (*_implied_answer(end, duration, agent=None), end)
    return (end,)


def _implied_answer(end: CallEvent, duration: int | None, agent: str | None) -> tuple[CallEvent, ...]:
    """A completed leg was answered CallDuration seconds before it ended, even if no callback said so."""
    if duration is None or end.at_ms is None:
        return ()
    answer = replace(end, kind=EventKind.ANSWERED, cause=None, agent=agent)
    return (replace(answer, at_ms=end.at_ms - duration * 1000, dedup_key=f"{end.dedup_key}:answered"),)


def _get(params: Mapping[str, str], name: str, *, required: bool = False) -> str:
    value = params.get(name, "")
    if not isinstance(value, str):
        raise ParseError(name, "must be a string")
    if required and not value.strip():
        raise ParseError(name, "is required")
    if len(value) > MAX_TEXT:
        raise ParseError(name, f"is longer than {MAX_TEXT} characters")
    return value.strip()


def _integer(params: Mapping[str, str], name: str) -> int | None:
    value = _get(params, name)
    if not value:
        return None
    if not value.isdecimal():
        raise ParseError(name, f"must be a whole number, not {value!r}")
    return int(value)


def _timestamp(params: Mapping[str, str]) -> int | None:
    """Twilio's ``Timestamp`` (RFC 2822, e.g. ``Tue, 29 Sep 2026 10:00:00 +0000``) as epoch ms."""
    value = _get(params, "Timestamp")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError) as err:
        raise ParseError("Timestamp", f"is not an RFC 2822 date: {value!r}") from err
    if when.utcoffset() is None:
        # RFC 2822 "-0000" means UTC with the sender's own zone unknown.
        when = when.replace(tzinfo=UTC)
    return round(when.timestamp() * 1000)


def compute_signature(auth_token: str, url: str, params: Params) -> str:
    """Twilio's X-Twilio-Signature of a form request: base64 HMAC-SHA1 over URL + sorted names and values."""
    pairs = params.items() if isinstance(params, Mapping) else params
    values: dict[str, set[str]] = {}
    for name, value in pairs:
        values.setdefault(name, set()).add(value)
    # Each name once, then each of its distinct values in order, as Twilio's signer does.
    signed = url + "".join(name + value for name in sorted(values) for value in sorted(values[name]))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _url_variants(url: str) -> tuple[str, ...]:
    """The URL as given, without its port, and with the scheme's default port.

    Twilio signs some requests with the port and some without, so both forms are accepted.
    """
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return (url,)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host = hostport[: hostport.rindex(":")] if port is not None else hostport
    default_port = 443 if parts.scheme == "https" else 80
    bare = urlunsplit(parts._replace(netloc=f"{userinfo}{at}{host}"))
    ported = urlunsplit(parts._replace(netloc=f"{userinfo}{at}{host}:{port or default_port}"))
    return tuple(dict.fromkeys((url, bare, ported)))


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def valid_signature(auth_token: str, url: str, params: Params, signature: str) -> bool:
    """True when ``signature`` is Twilio's signature of this form request to the public ``url``."""
    if not signature or not auth_token:
        return False
    pairs = list(params.items() if isinstance(params, Mapping) else params)
    # Every variant is checked so the time taken does not tell which one nearly matched.
    results = [_same(compute_signature(auth_token, variant, pairs), signature) for variant in _url_variants(url)]
    return any(results)


def valid_body_signature(auth_token: str, url: str, body: bytes, signature: str) -> bool:
    """True for a JSON-body webhook: ``bodySHA256`` in the URL matches the body and the URL is signed."""
    declared = parse_qs(urlsplit(url).query).get("bodySHA256", [""])[0]
    if not declared:
        return False
    body_ok = _same(hashlib.sha256(body).hexdigest(), declared)
    return valid_signature(auth_token, url, (), signature) and body_ok
