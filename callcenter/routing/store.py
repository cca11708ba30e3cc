"""SQL for routing: agents' presence and work, the time-in-state ledger, routed calls, decisions, connections."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from callcenter.db import Conn, Row
from callcenter.queues import store as queues_store
from callcenter.routing.models import AgentState, Presence, QueueConfig, WaitingCall, WorkState
from callcenter.telephony.pops import masked_number, match_view
from callcenter.timers import store as timers_store

ROUTABLE_ROLES = ("agent", "supervisor")


# --- routing_state: the version every routing change bumps ------------------------------------------


async def bump_version(conn: Conn, node_id: str) -> int:
    """Bump the routing version for this transaction; the version before the bump.

    On PostgreSQL the update holds the row's lock until commit, so routing changes from several
    nodes happen one after another; on SQLite the one writer already serialises them.
    """
    bump = "UPDATE routing_state SET version = version + 1, node_id = ? WHERE id = 1 RETURNING version"
    value = await conn.fetchval(bump, (node_id,))
    if value is None:  # the migration inserts the row; a table emptied by hand may lack it
        await conn.execute("INSERT INTO routing_state (id, version, node_id) VALUES (1, 0, NULL)"
                           " ON CONFLICT (id) DO NOTHING")
        value = await conn.fetchval(bump, (node_id,))
    return int(value) - 1


# --- agents ------------------------------------------------------------------------------------------


async def routable_agents(conn: Conn, now: int) -> list[AgentState]:
    """Every enabled agent or supervisor as the router sees them, from presence, work and skills."""
    rows = await conn.fetchall(
        "SELECT u.id, p.presence, p.reason, w.state, w.call_id, w.idle_since, w.missed_in_row"
        " FROM users u LEFT JOIN agent_presence p ON p.user_id = u.id LEFT JOIN agent_work w ON w.user_id = u.id"
        " WHERE NOT u.disabled AND u.role IN (?, ?) ORDER BY u.id",
        ROUTABLE_ROLES,
    )
    skills = await queues_store.agent_skills(conn)
    teams: dict[int, set[int]] = {}
    for r in await conn.fetchall("SELECT team_id, user_id FROM team_members"):
        teams.setdefault(r["user_id"], set()).add(r["team_id"])
    out = []
    for r in rows:
        work = WorkState(r["state"]) if r["state"] else WorkState.IDLE
        active = frozenset({str(r["call_id"])}) if work is WorkState.ON_CALL and r["call_id"] is not None \
            else frozenset()
        idle_since = r["idle_since"] if r["idle_since"] is not None else now
        out.append(AgentState(
            r["id"], Presence(r["presence"] or "offline"), work, idle_since, skills.get(r["id"], {}), 1, active,
            r["missed_in_row"] or 0, frozenset(teams.get(r["id"], ())),
            r["reason"] if r["presence"] == "away" else None,
        ))
    return out


async def routable_agent(conn: Conn, user_id: int, now: int) -> AgentState | None:
    """One agent as the router sees them (after a role or skills change), or None when not routable."""
    for state in await routable_agents(conn, now):
        if state.user_id == user_id:
            return state
    return None


async def routing_queues(conn: Conn) -> list[QueueConfig]:
    """The enabled queues as the router sees them."""
    return await queues_store.routing_queues(conn)


async def queue_settings(conn: Conn) -> list[Row]:
    """Every enabled queue's names, wrap-up and service-level seconds."""
    return await conn.fetchall(
        "SELECT id, key, name, name_zh, wrap_up_s, service_level_s FROM queues WHERE enabled ORDER BY key")


async def queue_id_of(conn: Conn, key: str) -> int | None:
    """A queue's id by key."""
    value = await conn.fetchval("SELECT id FROM queues WHERE key = ?", (key,))
    return None if value is None else int(value)


async def dispositions_for(conn: Conn, queue_key: str) -> list[Any]:
    """The enabled dispositions of a queue, in order."""
    return list(await queues_store.dispositions_for(conn, queue_key))


async def get_disposition(conn: Conn, disposition_id: int) -> Any:
    """One disposition."""
    return await queues_store.get_disposition(conn, disposition_id)


async def timer_due(conn: Conn, kind: str, key: str) -> int | None:
    """When a timer fires, if armed."""
    timer = await timers_store.get(conn, kind, key)
    return None if timer is None else timer.due_at


async def get_presence(conn: Conn, user_id: int) -> Row | None:
    """An agent's presence row."""
    return await conn.fetchone("SELECT presence, reason, since FROM agent_presence WHERE user_id = ?", (user_id,))


async def set_presence(conn: Conn, user_id: int, presence: str, reason: str | None, now: int) -> None:
    """Record an agent's presence."""
    await conn.execute(
        "INSERT INTO agent_presence (user_id, presence, reason, since) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET presence = excluded.presence, reason = excluded.reason,"
        " since = excluded.since",
        (user_id, presence, reason, now),
    )


async def get_work(conn: Conn, user_id: int) -> Row | None:
    """An agent's work row."""
    return await conn.fetchone(
        "SELECT state, call_id, since, idle_since, missed_in_row, queue_key FROM agent_work WHERE user_id = ?",
        (user_id,),
    )


async def set_work(conn: Conn, user_id: int, state: WorkState, call_id: int | None, now: int, *,
                   idle_since: int | None = None, missed_in_row: int | None = None,
                   queue_key: str | None = None) -> None:
    """Record an agent's work; ``idle_since`` and ``missed_in_row`` keep their value when None."""
    await conn.execute(
        "INSERT INTO agent_work (user_id, state, call_id, since, idle_since, missed_in_row, queue_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, call_id = excluded.call_id,"
        " since = CASE WHEN agent_work.state = excluded.state AND agent_work.call_id IS NOT DISTINCT FROM"
        " excluded.call_id THEN agent_work.since ELSE excluded.since END,"
        " idle_since = CASE WHEN ? THEN excluded.idle_since ELSE agent_work.idle_since END,"
        " missed_in_row = CASE WHEN ? THEN excluded.missed_in_row ELSE agent_work.missed_in_row END,"
        " queue_key = excluded.queue_key",
        (user_id, state.value, call_id, now, idle_since if idle_since is not None else now,
         missed_in_row or 0, queue_key, idle_since is not None, missed_in_row is not None),
    )


async def agents_view(conn: Conn, user_ids: Sequence[int] | None = None) -> list[Row]:
    """Agents with presence and work, for the supervisor's board."""
    where, params = "", tuple[int, ...]()
    if user_ids is not None:
        if not user_ids:
            return []
        where, params = f" AND u.id IN ({', '.join('?' for _ in user_ids)})", tuple(user_ids)
    return await conn.fetchall(
        "SELECT u.id, u.username, u.display_name, u.role, p.presence, p.reason, p.since AS presence_since,"
        " w.state AS work, w.call_id, w.since AS work_since, w.missed_in_row, w.queue_key"
        " FROM users u LEFT JOIN agent_presence p ON p.user_id = u.id LEFT JOIN agent_work w ON w.user_id = u.id"
        f" WHERE NOT u.disabled AND u.role IN (?, ?){where} ORDER BY u.display_name, u.id",
        (*ROUTABLE_ROLES, *params),
    )


# --- the time-in-state ledger ------------------------------------------------------------------------


async def log_state(conn: Conn, user_id: int, presence: str, reason: str | None, work: str,
                    call_id: int | None, now: int) -> None:
    """Close the agent's open interval and open one for this state (the caller knows it changed)."""
    await conn.execute("UPDATE agent_state_log SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
                       (now, user_id))
    await conn.execute(
        "INSERT INTO agent_state_log (user_id, presence, reason, work, call_id, started_at) VALUES (?, ?, ?, ?, ?, ?)",
        (user_id, presence, reason, work, call_id, now),
    )


async def ledger(conn: Conn, user_id: int, start: int, end: int) -> list[Row]:
    """The intervals of one agent overlapping [start, end), oldest first."""
    return await conn.fetchall(
        "SELECT presence, reason, work, started_at, ended_at FROM agent_state_log"
        " WHERE user_id = ? AND started_at < ? AND (ended_at IS NULL OR ended_at > ?) ORDER BY started_at, id",
        (user_id, end, start),
    )


async def ledgers(conn: Conn, user_ids: Sequence[int], start: int, end: int) -> list[Row]:
    """The intervals of several agents overlapping [start, end)."""
    if not user_ids:
        return []
    marks = ", ".join("?" for _ in user_ids)
    return await conn.fetchall(
        "SELECT user_id, presence, reason, work, started_at, ended_at FROM agent_state_log"
        f" WHERE user_id IN ({marks}) AND started_at < ? AND (ended_at IS NULL OR ended_at > ?)"
        " ORDER BY user_id, started_at, id",
        (*user_ids, end, start),
    )


# --- routed calls ------------------------------------------------------------------------------------

_ROUTED = ("r.call_id, r.queue_key, r.state, r.enqueued_at, r.customer_tier, r.dedicated_agent_id, r.attempts,"
           " r.excluded, r.ringing_agent_id, r.ringing_since, r.target")


async def get_routed(conn: Conn, call_id: int) -> Row | None:
    """A routed call."""
    return await conn.fetchone(f"SELECT {_ROUTED} FROM routed_calls r WHERE r.call_id = ?", (call_id,))


async def insert_routed(conn: Conn, call_id: int, queue_key: str, enqueued_at: int, tier: str | None,
                        dedicated: int | None, now: int) -> bool:
    """Start routing a call; False when it already is (another request or node was first)."""
    changed = await conn.execute(
        "INSERT INTO routed_calls (call_id, queue_key, state, enqueued_at, customer_tier, dedicated_agent_id,"
        " updated_at) VALUES (?, ?, 'waiting', ?, ?, ?, ?) ON CONFLICT (call_id) DO NOTHING",
        (call_id, queue_key, enqueued_at, tier, dedicated, now),
    )
    return changed == 1


async def update_routed(conn: Conn, call_id: int, now: int, **values: Any) -> None:
    """Change some columns of a routed call."""
    allowed = {"queue_key", "state", "attempts", "excluded", "ringing_agent_id", "ringing_since", "target",
               "enqueued_at"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not a routed_calls column: {sorted(unknown)}")
    sets = ", ".join(f"{name} = ?" for name in values)
    await conn.execute(f"UPDATE routed_calls SET {sets}, updated_at = ? WHERE call_id = ?",
                       (*values.values(), now, call_id))


async def live_routed(conn: Conn) -> list[WaitingCall]:
    """Calls waiting or ringing, as the router rebuilds them."""
    rows = await conn.fetchall(
        f"SELECT {_ROUTED} FROM routed_calls r WHERE r.state IN ('waiting', 'ringing') ORDER BY r.enqueued_at")
    return [WaitingCall(str(r["call_id"]), r["queue_key"], r["enqueued_at"], r["customer_tier"],
                        r["dedicated_agent_id"], r["attempts"], frozenset(json.loads(r["excluded"])),
                        r["ringing_agent_id"] if r["state"] == "ringing" else None) for r in rows]


async def routed_view(conn: Conn) -> list[Row]:
    """Calls waiting or ringing with their call and customer, for the supervisor's board."""
    return await conn.fetchall(
        f"SELECT {_ROUTED}, c.customer_number, c.match, c.customer_id, cu.name AS customer_name,"
        " r.customer_tier AS tier, c.started_at"
        " FROM routed_calls r JOIN calls c ON c.id = r.call_id LEFT JOIN customers cu ON cu.id = c.customer_id"
        " WHERE r.state IN ('waiting', 'ringing') ORDER BY r.enqueued_at"
    )


def waiting_item(row: Row) -> dict[str, Any]:
    """A waiting or ringing call as supervisors see it: the number masked."""
    match = match_view(row["match"])
    return {"call_id": row["call_id"], "queue": row["queue_key"], "state": row["state"],
            "enqueued_at": row["enqueued_at"], "tier": row["tier"], "attempts": row["attempts"],
            "agent_id": row["ringing_agent_id"], "ringing_since": row["ringing_since"],
            "customer_id": row["customer_id"], "customer_name": row["customer_name"],
            "number_masked": masked_number(match, row["customer_number"])}


def active_item(row: Row) -> dict[str, Any]:
    """A ringing or answered call as supervisors see it: the number masked."""
    match = match_view(row["match"])
    return {"call_id": row["id"], "state": row["state"], "direction": row["direction"], "queue": row["queue"],
            "agent_id": row["agent_id"], "customer_id": row["customer_id"], "customer_name": row["customer_name"],
            "started_at": row["started_at"], "answered_at": row["answered_at"],
            "on_hold": row["on_hold_since"] is not None, "number_masked": masked_number(match, row["customer_number"])}


# --- decisions ---------------------------------------------------------------------------------------


async def insert_decision(conn: Conn, call_id: int, payload: dict[str, Any], now: int) -> int:
    """Store a decision; its id."""
    row = await conn.fetchone(
        "INSERT INTO routing_decisions (call_id, queue_key, action, rule, agent_id, target, payload, decided_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (call_id, payload["queue_id"], payload["action"], payload["rule"], payload["agent_id"], payload["target"],
         json.dumps(payload, separators=(",", ":")), now),
    )
    assert row is not None
    return int(row["id"])


async def recent_decisions(conn: Conn, limit: int, call_id: int | None = None,
                           before_id: int | None = None) -> list[dict[str, Any]]:
    """The newest decisions first, optionally of one call."""
    where, params = [], []
    if call_id is not None:
        where.append("call_id = ?")
        params.append(call_id)
    if before_id is not None:
        where.append("id < ?")
        params.append(before_id)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = await conn.fetchall(
        f"SELECT id, call_id, payload FROM routing_decisions{clause} ORDER BY id DESC LIMIT ?", (*params, limit))
    return [{**json.loads(r["payload"]), "id": r["id"], "call_id": r["call_id"]} for r in rows]


async def last_decision(conn: Conn, call_id: int) -> dict[str, Any] | None:
    """A call's latest decision."""
    found = await recent_decisions(conn, 1, call_id)
    return found[0] if found else None


# --- calls, as routing needs them ----------------------------------------------------------------------


async def get_call(conn: Conn, call_id: int) -> Row | None:
    """What routing needs of a call: its state, agents, queue, customer and value."""
    return await conn.fetchone(
        "SELECT c.id, c.state, c.agent_id, c.agents_rung, c.queue, c.customer_id, c.answered_at, c.ended_at,"
        " c.to_number, COALESCE(v.tier, cu.tier) AS tier, cu.dedicated_agent_id"
        " FROM calls c LEFT JOIN customers cu ON cu.id = c.customer_id"
        " LEFT JOIN customer_values v ON v.customer_id = c.customer_id WHERE c.id = ?",
        (call_id,),
    )


async def active_calls(conn: Conn, limit: int) -> list[Row]:
    """Calls ringing or in progress, newest first, for the supervisor's board."""
    return await conn.fetchall(
        "SELECT c.id, c.state, c.direction, c.queue, c.agent_id, c.customer_number, c.match, c.customer_id,"
        " cu.name AS customer_name, c.started_at, c.answered_at, c.on_hold_since"
        " FROM calls c LEFT JOIN customers cu ON cu.id = c.customer_id"
        " WHERE c.state IN ('ringing', 'answered') ORDER BY c.started_at DESC LIMIT ?",
        (limit,),
    )


async def record_wrap_up(conn: Conn, call_id: int, disposition_id: int | None, code: str | None,
                         fcr: bool | None, notes: str | None, wrap_up_s: float, now: int) -> None:
    """Store the outcome of a wrap-up on its call."""
    await conn.execute(
        "UPDATE calls SET disposition_id = ?, disposition = COALESCE(?, disposition), first_contact_resolved = ?,"
        " notes = COALESCE(?, notes), wrap_up_s = ?, wrapped_up_at = ?, updated_at = ? WHERE id = ?",
        (disposition_id, code, fcr, notes, wrap_up_s, now, now, call_id),
    )


# --- connections and nodes ---------------------------------------------------------------------------


async def node_seen(conn: Conn, node_id: str, now: int) -> None:
    """Say this node is alive."""
    await conn.execute(
        "INSERT INTO server_nodes (id, started_at, seen_at) VALUES (?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
        (node_id, now, now),
    )


async def forget_dead_nodes(conn: Conn, seen_before: int) -> list[int]:
    """Drop nodes not seen since ``seen_before`` and their connections; the users who lost a connection."""
    rows = await conn.fetchall(
        "DELETE FROM agent_connections WHERE node_id IN (SELECT id FROM server_nodes WHERE seen_at < ?)"
        " RETURNING user_id",
        (seen_before,),
    )
    await conn.execute("DELETE FROM server_nodes WHERE seen_at < ?", (seen_before,))
    return sorted({r["user_id"] for r in rows})


async def add_connection(conn: Conn, sid: str, user_id: int, node_id: str, now: int) -> None:
    """Record a live socket."""
    await conn.execute(
        "INSERT INTO agent_connections (sid, user_id, node_id, connected_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (sid) DO NOTHING",
        (sid, user_id, node_id, now),
    )


async def drop_connection(conn: Conn, sid: str) -> int | None:
    """Forget a socket; the user it belonged to."""
    row = await conn.fetchone("DELETE FROM agent_connections WHERE sid = ? RETURNING user_id", (sid,))
    return None if row is None else int(row["user_id"])


async def connection_count(conn: Conn, user_id: int) -> int:
    """Live sockets of a user on any node."""
    return int(await conn.fetchval("SELECT COUNT(*) FROM agent_connections WHERE user_id = ?", (user_id,)) or 0)


async def drop_node_connections(conn: Conn, node_id: str) -> list[int]:
    """Forget every socket of a node (at its start or stop); the users concerned."""
    rows = await conn.fetchall("DELETE FROM agent_connections WHERE node_id = ? RETURNING user_id", (node_id,))
    return sorted({r["user_id"] for r in rows})
