"""TwiML answers to Twilio voice webhooks, built with ElementTree so no value is ever unescaped."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, SubElement, tostring

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
CONTENT_TYPE = "text/xml"
REJECT_REASONS = ("busy", "rejected")
# Child-leg progress we ask Twilio to report, so an agent's ringing and answer reach the fold.
CLIENT_STATUS_EVENTS = "initiated ringing answered completed"
# XML 1.0 cannot carry these at all, escaped or not; ElementTree would write them through.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_Attr = str | int | bool | None


def _checked(value: str) -> str:
    if _NOT_XML.search(value):
        raise ValueError(f"{value!r} holds characters XML cannot carry")
    return value


def _add(parent: Element, tag: str, text: str | None = None, **attrs: _Attr) -> Element:
    """Append one element; attributes sorted and None dropped, as Twilio's own library renders them."""
    element = SubElement(parent, tag)
    for name in sorted(attrs):
        value = attrs[name]
        if value is None:
            continue
        if isinstance(value, bool):
            element.set(name, "true" if value else "false")
        else:
            element.set(name, _checked(str(value)))
    if text is not None:
        element.text = _checked(text)
    return element


def _render(root: Element) -> str:
    return XML_DECLARATION + tostring(root, encoding="unicode")


def twiml_empty() -> str:
    """An empty ``<Response />``: Twilio goes on with nothing more to do (and ends the call)."""
    return _render(Element("Response"))


def twiml_say_hangup(text: str, *, voice: str | None = None, language: str | None = None) -> str:
    """Read a message to the caller and hang up (closed hours, full queue)."""
    root = Element("Response")
    _add(root, "Say", text, voice=voice, language=language)
    _add(root, "Hangup")
    return _render(root)


def twiml_voicemail(text: str, *, language: str | None = None, max_length_s: int = 120) -> str:
    """Read a message, then record the caller's voicemail after a beep (Twilio keeps the recording)."""
    root = Element("Response")
    _add(root, "Say", text, language=language)
    _add(root, "Record", maxLength=max_length_s, playBeep=True)
    _add(root, "Hangup")
    return _render(root)


def twiml_hold_message(text: str, *, language: str | None = None, pause_s: int = 10) -> str:
    """What a queued caller hears: a message, then a pause (a wait URL's answer; Twilio repeats it)."""
    root = Element("Response")
    _add(root, "Say", text, language=language)
    _add(root, "Pause", length=pause_s)
    return _render(root)


def twiml_enqueue(name: str, wait_url: str, action_url: str) -> str:
    """Put the caller in Twilio queue ``name``; ``wait_url`` plays meanwhile, ``action_url`` hears the outcome."""
    root = Element("Response")
    _add(root, "Enqueue", name, waitUrl=wait_url, action=action_url)
    return _render(root)


def twiml_leave() -> str:
    """Take the caller out of the queue; TwiML after the ``<Enqueue>`` (its action URL) runs next."""
    root = Element("Response")
    _add(root, "Leave")
    return _render(root)


def twiml_dial_client(
    identity: str,
    *,
    caller_id: str | None = None,
    timeout_s: int | None = None,
    action_url: str | None = None,
    status_callback: str | None = None,
    answer_on_bridge: bool | None = None,
) -> str:
    """Ring an agent's browser phone (Twilio Client ``identity``, without the ``client:`` prefix)."""
    root = Element("Response")
    dial = _add(
        root, "Dial", callerId=caller_id, timeout=timeout_s, action=action_url, answerOnBridge=answer_on_bridge
    )
    _add(
        dial,
        "Client",
        identity,
        statusCallback=status_callback,
        statusCallbackEvent=CLIENT_STATUS_EVENTS if status_callback else None,
    )
    return _render(root)


def twiml_reject(reason: str = "busy") -> str:
    """Refuse the call unanswered and unbilled; ``busy`` is what a blocked caller gets."""
    if reason not in REJECT_REASONS:
        raise ValueError(f"reject reason must be one of {REJECT_REASONS}, not {reason!r}")
    root = Element("Response")
    _add(root, "Reject", reason=reason)
    return _render(root)
