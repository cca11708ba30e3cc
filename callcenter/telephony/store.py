"""SQL for call events, call records and pops."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import MISSING, fields

import orjson

from callcenter.db import Conn, Row, lock_key
from callcenter.telephony.models import CallEvent, CallRecord, Direction, EventKind, Provider

_EVENT_FIELDS = tuple(f.name for f in fields(CallEvent) if f.name != "raw")


def event_to_json(event: CallEvent) -> str:
    """The stored form of a mapped event (everything the fold reads)."""
    # Built by hand: dataclasses.asdict deep-copies every value and was the ingest path's top cost.
    data = {name: getattr(event, name) for name in _EVENT_FIELDS}
    data["agents"] = list(event.agents)
    return orjson.dumps(data).decode()


# Fields added since an event was stored read as their defaults.
_EVENT_DEFAULTS = {f.name: f.default for f in fields(CallEvent) if f.default is not MISSING}
_PROVIDERS = Provider._value2member_map_
_KINDS = EventKind._value2member_map_
_DIRECTIONS = Direction._value2member_map_


def event_from_json(text: str) -> CallEvent:
    """Rebuild a stored event."""
    data = {**_EVENT_DEFAULTS, **orjson.loads(text)}
    data["provider"] = _PROVIDERS[data["provider"]]
    data["kind"] = _KINDS[data["kind"]]
    data["direction"] = _DIRECTIONS[data["direction"]] if data["direction"] else None
    data["agents"] = tuple(data["agents"])
    data["raw"] = {}
    # Every field is set by now, so the frozen dataclass's __init__ (one object.__setattr__ per
    # field) is skipped: each ingest rebuilds its call's earlier events, and that __init__ was
    # two thirds of the cost.
    event = object.__new__(CallEvent)
    event.__dict__.update(data)
    return event


async def insert_event(conn: Conn, event: CallEvent, integration_id: int | None, now: int) -> bool:
    """Store a raw event; False when the same event (by dedup key) was stored before.

    Writers of one call take turns from here to their commit, so each folds the events of the
    others (on PostgreSQL two requests for one call would otherwise each fold only their own).
    """
    assert event.at_ms is not None
    await lock_key(conn, f"call {event.provider.value} {event.call_id}")
    row = await conn.fetchone(
        "INSERT INTO call_events (provider, integration_id, call_id, dedup_key, kind, at_ms, received_at, event, raw)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, call_id, dedup_key) DO NOTHING RETURNING id",
        (event.provider.value, integration_id, event.call_id, event.dedup_key, event.kind.value, event.at_ms, now,
         event_to_json(event), orjson.dumps(dict(event.raw), default=str).decode()),
    )
    return row is not None


async def list_events(conn: Conn, provider: Provider, call_id: str,
                      known: Sequence[CallEvent] = ()) -> list[CallEvent]:
    """Every stored event of one call; the ``known`` ones (just stored, say) are not parsed again."""
    rows = await conn.fetchall(
        "SELECT dedup_key, event FROM call_events WHERE provider = ? AND call_id = ?", (provider.value, call_id)
    )
    by_key = {e.dedup_key: e for e in known}
    return [by_key.get(r["dedup_key"]) or event_from_json(r["event"]) for r in rows]


_BRIEF = "id, state, customer_id, match, agent_id, agents_rung, parent_external_id, started_at"


async def get_brief(conn: Conn, provider: Provider, external_id: str) -> Row | None:
    """The few columns ingestion decides on: id, state, customer and match."""
    return await conn.fetchone(
        f"SELECT {_BRIEF} FROM calls WHERE provider = ? AND external_id = ?", (provider.value, external_id)
    )


async def get_brief_by_id(conn: Conn, call_id: int) -> Row | None:
    """The brief of a call by our id, with the provider's names for it."""
    return await conn.fetchone(f"SELECT {_BRIEF}, provider, external_id FROM calls WHERE id = ?", (call_id,))


_CALL_COLUMNS = (
    "provider", "external_id", "integration_id", "parent_external_id", "direction", "state", "from_number",
    "to_number", "customer_number", "customer_id", "match", "queue", "agent_id", "agent_name", "agents_rung",
    "started_at", "ringing_at", "answered_at", "ended_at", "wait_s", "talk_s", "hold_s", "on_hold_since", "cause",
    "ivr", "language", "voicemail", "event_count", "created_at", "updated_at",
)
_KEPT = {"provider", "external_id", "created_at", "customer_id", "match", "integration_id", "agent_id"}
# Built once: the statement is the same for every event.
_UPSERT_CALL = (
    f"INSERT INTO calls ({', '.join(_CALL_COLUMNS)}) VALUES ({', '.join('?' * len(_CALL_COLUMNS))})"
    f" ON CONFLICT (provider, external_id) DO UPDATE SET"
    f" {', '.join(f'{k} = excluded.{k}' for k in _CALL_COLUMNS if k not in _KEPT)},"
    " customer_id = COALESCE(calls.customer_id, excluded.customer_id),"
    " match = COALESCE(calls.match, excluded.match),"
    " agent_id = COALESCE(excluded.agent_id, calls.agent_id),"
    " integration_id = COALESCE(calls.integration_id, excluded.integration_id)"
    " RETURNING id, customer_id, match, agent_id"
)


async def upsert_call(
    conn: Conn,
    record: CallRecord,
    *,
    brief: Row | None,
    integration_id: int | None,
    customer_number: str | None,
    customer_id: int | None,
    match: str | None,
    agent_id: int | None,
    agents_rung: str,
    now: int,
) -> Row:
    """Write the folded record; the customer, match and agent are kept once set.

    ``brief`` is the call as stored before (``get_brief``, read under the call's lock), or None for
    a call not stored yet. Returns the call's id and, as stored now, its customer, match and
    answering agent.
    """
    row = {
        "provider": record.provider.value, "external_id": record.call_id, "integration_id": integration_id,
        "parent_external_id": record.parent_call_id, "direction": record.direction.value,
        "state": record.state.value, "from_number": record.from_number, "to_number": record.to_number,
        "customer_number": customer_number, "customer_id": customer_id, "match": match, "queue": record.queue,
        "agent_id": agent_id, "agent_name": record.agent, "agents_rung": agents_rung,
        "started_at": record.started_at, "ringing_at": record.ringing_at, "answered_at": record.answered_at,
        "ended_at": record.ended_at, "wait_s": record.wait_s, "talk_s": record.talk_s, "hold_s": record.hold_s,
        "on_hold_since": record.on_hold_since, "cause": record.cause, "ivr": record.ivr,
        "language": record.language, "voicemail": record.voicemail, "event_count": record.event_count,
        "created_at": now, "updated_at": now,
    }
    if brief is None:
        stored = await conn.fetchone(_UPSERT_CALL, [row[k] for k in _CALL_COLUMNS])
        assert stored is not None
        return stored
    # The same rules as the upsert's, applied to the stored values.
    if brief["customer_id"] is not None:
        row["customer_id"] = brief["customer_id"]
    if agent_id is None:
        row["agent_id"] = brief["agent_id"]
    # An UPDATE that names an indexed column rewrites that index's entry even when the value is
    # the same, so those columns are named only when they change (most events change one or two).
    changed = tuple(k for k in _INDEXED if brief[k] != row[k])
    await conn.execute(_update_call_sql(changed),
                       [*(row[k] for k in _UPDATED), match, integration_id, *(row[k] for k in changed), brief["id"]])
    return {"id": brief["id"], "customer_id": row["customer_id"], "match": brief["match"] or match,
            "agent_id": row["agent_id"]}


# The columns of calls with an index of their own besides (provider, external_id) (0004_calls.sql).
_INDEXED = ("parent_external_id", "state", "customer_id", "agent_id", "started_at")
# What an update of a stored call always sets: the plain columns the upsert replaces.
_UPDATED = tuple(k for k in _CALL_COLUMNS if k not in _KEPT and k not in _INDEXED)


@functools.lru_cache(maxsize=64)
def _update_call_sql(changed: tuple[str, ...]) -> str:
    """The UPDATE of a stored call that also sets the indexed columns named (at most 2**5 forms)."""
    sets = [f"{k} = ?" for k in _UPDATED]
    sets += ["match = COALESCE(match, ?)", "integration_id = COALESCE(integration_id, ?)"]
    sets += [f"{k} = ?" for k in changed]
    return f"UPDATE calls SET {', '.join(sets)} WHERE id = ?"


async def insert_pops(conn: Conn, call_id: int, user_ids: Iterable[int], now: int) -> list[int]:
    """Mark users as popped for a call; return those not popped before (a duplicate never pops twice)."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    rows = await conn.fetchall(
        f"INSERT INTO call_pops (call_id, user_id, popped_at) VALUES {', '.join(['(?, ?, ?)'] * len(ids))}"
        " ON CONFLICT (call_id, user_id) DO NOTHING RETURNING user_id",
        [v for uid in ids for v in (call_id, uid, now)],
    )
    return sorted(int(r["user_id"]) for r in rows)


async def list_popped(conn: Conn, call_id: int) -> list[int]:
    """Users who have this call on their screen."""
    rows = await conn.fetchall("SELECT user_id FROM call_pops WHERE call_id = ?", (call_id,))
    return [int(r["user_id"]) for r in rows]


_CALL_COLS = (
    "c.id, c.provider, c.external_id, c.parent_external_id, c.direction, c.state, c.from_number, c.to_number,"
    " c.customer_number, c.customer_id, c.match, c.queue, c.agent_id, c.agent_name, c.agents_rung, c.started_at,"
    " c.ringing_at, c.answered_at, c.ended_at, c.wait_s, c.talk_s, c.hold_s, c.on_hold_since, c.cause, c.ivr,"
    " c.language, c.voicemail, c.notes, c.disposition, c.integration_id, u.display_name AS agent_display_name,"
    " cu.name AS customer_name"
)
_CALL_JOINS = "LEFT JOIN users u ON u.id = c.agent_id LEFT JOIN customers cu ON cu.id = c.customer_id"


async def get_call(conn: Conn, call_id: int) -> Row | None:
    """One call with its answering agent's name."""
    return await conn.fetchone(
        f"SELECT {_CALL_COLS} FROM calls c {_CALL_JOINS} WHERE c.id = ?", (call_id,)
    )


async def get_call_by_external(conn: Conn, provider: str, external_id: str) -> Row | None:
    """One call by the provider's id."""
    return await conn.fetchone(
        f"SELECT {_CALL_COLS} FROM calls c {_CALL_JOINS}"
        " WHERE c.provider = ? AND c.external_id = ?",
        (provider, external_id),
    )


# What a customer's call history shows (``pops.history_item``): every pop reads ten of these.
_HISTORY_COLS = (
    "c.id, c.external_id, c.direction, c.state, c.started_at, c.talk_s, c.wait_s, c.queue, c.agent_name,"
    " c.notes, c.disposition, u.display_name AS agent_display_name"
)


async def list_customer_calls(conn: Conn, customer_id: int, limit: int, before: int | None = None) -> list[Row]:
    """A customer's calls, newest first, with the columns of their history."""
    return await conn.fetchall(
        f"SELECT {_HISTORY_COLS} FROM calls c LEFT JOIN users u ON u.id = c.agent_id"
        " WHERE c.customer_id = ? AND c.started_at < ? ORDER BY c.started_at DESC LIMIT ?",
        (customer_id, before if before is not None else 2**62, limit),
    )


async def list_calls(
    conn: Conn, *, after_id: int, limit: int, states: Sequence[str] = (), agent_id: int | None = None,
    customer_id: int | None = None, since: int | None = None,
) -> list[Row]:
    """Calls by id, filtered, one page."""
    where: list[str] = ["c.id > ?"]
    params: list[object] = [after_id]
    if states:
        where.append(f"c.state IN ({', '.join('?' * len(states))})")
        params.extend(states)
    if agent_id is not None:
        where.append("c.agent_id = ?")
        params.append(agent_id)
    if customer_id is not None:
        where.append("c.customer_id = ?")
        params.append(customer_id)
    if since is not None:
        where.append("c.started_at >= ?")
        params.append(since)
    return await conn.fetchall(
        f"SELECT {_CALL_COLS} FROM calls c {_CALL_JOINS} WHERE {' AND '.join(where)}"
        " ORDER BY c.id LIMIT ?",
        (*params, limit),
    )


async def list_recent_for_agent(conn: Conn, user_id: int, limit: int) -> list[Row]:
    """The calls an agent had on screen, newest first (the console's recent calls)."""
    return await conn.fetchall(
        f"SELECT {_CALL_COLS} FROM call_pops p JOIN calls c ON c.id = p.call_id {_CALL_JOINS}"
        " WHERE p.user_id = ? ORDER BY p.popped_at DESC LIMIT ?",
        (user_id, limit),
    )


async def update_notes(conn: Conn, call_id: int, notes: str | None, disposition: str | None, now: int) -> bool:
    """Set what the agent wrote about a call."""
    sets, params = ["updated_at = ?"], [now]
    if notes is not None:
        sets.append("notes = ?")
        params.append(notes)  # type: ignore[arg-type]
    if disposition is not None:
        sets.append("disposition = ?")
        params.append(disposition)  # type: ignore[arg-type]
    return await conn.execute(f"UPDATE calls SET {', '.join(sets)} WHERE id = ?", (*params, call_id)) == 1


async def link_customer(conn: Conn, call_id: int, customer_id: int, match: str, now: int) -> bool:
    """Link a call to the customer the agent picked."""
    return await conn.execute(
        "UPDATE calls SET customer_id = ?, match = ?, updated_at = ? WHERE id = ?", (customer_id, match, now, call_id)
    ) == 1
