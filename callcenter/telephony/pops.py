"""The screen pop's payload: the call, how the caller matched, the customer, and what happened before."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from callcenter.customers.models import CallerMatch, MatchKind
from callcenter.customers.phones import format_national, mask, region_of
from callcenter.db import Row
from callcenter.telephony.models import CallRecord

HISTORY = 10


def match_json(match: CallerMatch) -> str:
    """The stored form of a match, with the number already formatted for agents and masked for supervisors.

    Formatting parses the number (phonenumbers, ~0.1 ms); done once per call here, not per event.
    """
    e164 = match.e164
    return orjson.dumps({"kind": match.kind.value, "candidates": list(match.candidates),
                       "region_used": match.region_used, "e164": e164,
                       "region": region_of(e164) if e164 else None,
                       "display": format_national(e164) if e164 else None,
                       "masked": mask(e164) if e164 else None}).decode()


def match_view(stored: str | None) -> dict[str, Any]:
    """The pop's ``match``: kind, candidate ids, the region used, the number as E.164."""
    if not stored:
        return {"kind": MatchKind.NONE.value, "candidates": [], "region_used": None, "e164": None}
    data: dict[str, Any] = orjson.loads(stored)
    return data


def rung_agents(names: Sequence[str], resolved: Mapping[str, int | None]) -> list[dict[str, Any]]:
    """The agents a PBX rang, as names with the user each maps to (unmatched names are kept)."""
    return [{"name": n, "user_id": resolved.get(n)} for n in names]


def agents_json(agents: list[dict[str, Any]]) -> str:
    """The stored form of ``rung_agents``."""
    return orjson.dumps(agents).decode()


def agents_of(stored: str | None) -> list[dict[str, Any]]:
    """``rung_agents`` back from its stored form."""
    found: list[dict[str, Any]] = orjson.loads(stored or "[]")
    return found


def call_view(call_id: int, record: CallRecord, agent_id: int | None, agents: list[dict[str, Any]],
              customer_number: str | None,
              match: dict[str, Any], customer_id: int | None) -> dict[str, Any]:
    """The call as the console shows it, from the freshly folded record."""
    return {
        "id": call_id,
        "provider": record.provider.value,
        "external_id": record.call_id,
        "direction": record.direction.value,
        "state": record.state.value,
        "from": record.from_number,
        "to": record.to_number,
        "number": customer_number,
        "number_display": match.get("display") or customer_number,
        "queue": record.queue,
        "ivr": record.ivr,
        "language": record.language,
        "customer_id": customer_id,
        "agent_id": agent_id,
        "agent_name": record.agent,
        "agents": agents,
        "started_at": record.started_at,
        "ringing_at": record.ringing_at,
        "answered_at": record.answered_at,
        "ended_at": record.ended_at,
        "wait_s": record.wait_s,
        "talk_s": record.talk_s,
        "hold_s": record.hold_s,
        "on_hold_since": record.on_hold_since,
        "cause": record.cause,
        "voicemail": record.voicemail,
        "parent_external_id": record.parent_call_id,
    }


def history_item(row: Row) -> dict[str, Any]:
    """One earlier call in the pop's history."""
    return {
        "id": row["id"], "direction": row["direction"], "state": row["state"], "started_at": row["started_at"],
        "talk_s": row["talk_s"], "wait_s": row["wait_s"], "queue": row["queue"],
        "agent_name": row["agent_display_name"] or row["agent_name"], "notes": row["notes"],
        "disposition": row["disposition"],
    }


HIDDEN_FROM_SUPERVISORS = frozenset({"from", "to", "number", "number_display"})
MATCH_HIDDEN_FROM_SUPERVISORS = frozenset({"e164", "display"})


def masked_number(match: Mapping[str, Any], number: str | None) -> str | None:
    """The customer's number as supervisors see it: ``+86 138 **** 5678``; never the full number."""
    if match.get("masked"):
        return str(match["masked"])
    e164 = match.get("e164")
    return mask(e164) if e164 else ("***" if number else None)


def supervisor_view(call: Mapping[str, Any], match: Mapping[str, Any]) -> dict[str, Any]:
    """What supervisors get pushed: no full customer number (they open the call to see it, audited)."""
    view = {k: v for k, v in call.items() if k not in HIDDEN_FROM_SUPERVISORS}
    if isinstance(view.get("match"), dict):
        view["match"] = {k: v for k, v in view["match"].items() if k not in MATCH_HIDDEN_FROM_SUPERVISORS}
    view["number_masked"] = masked_number(match, call.get("number"))
    return view


def pop_payload(
    call: dict[str, Any],
    match: dict[str, Any],
    cards: Sequence[dict[str, Any]],
    history: Sequence[dict[str, Any]],
    earlier_leg: dict[str, Any] | None,
    server_now: int,
) -> dict[str, Any]:
    """Everything the ringing card and customer panel paint from, in one message.

    ``tickets``, ``last_survey``, ``callbacks`` and ``answers`` are the sections the ticket,
    survey, callback and knowledge features fill; until a customer has any they are empty.
    """
    linked = call.get("customer_id") is not None or match.get("kind") in (MatchKind.EXACT.value,
                                                                          MatchKind.NATIONAL.value)
    return {
        "call": call,
        "match": match,
        "customer": cards[0] if linked and cards else None,
        "candidates": list(cards) if not linked and match.get("kind") == MatchKind.SEVERAL.value else [],
        "history": list(history),
        "earlier_leg": earlier_leg,
        "tickets": [],
        "last_survey": None,
        "callbacks": [],
        "answers": [],
        "server_now": server_now,
    }
