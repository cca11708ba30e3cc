"""SQL for agent presence."""

from __future__ import annotations

from callcenter.agents.models import Presence, PresenceState
from callcenter.db import Conn


async def get_presence(conn: Conn, user_id: int) -> PresenceState | None:
    """An agent's recorded presence."""
    row = await conn.fetchone("SELECT user_id, presence, reason, since FROM agent_presence WHERE user_id = ?",
                              (user_id,))
    return None if row is None else PresenceState(row["user_id"], Presence(row["presence"]), row["reason"],
                                                  row["since"])


async def upsert_presence(conn: Conn, state: PresenceState) -> bool:
    """Record a presence; False when it was already exactly that (no change, no push)."""
    changed = await conn.execute(
        "INSERT INTO agent_presence (user_id, presence, reason, since) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET presence = excluded.presence, reason = excluded.reason,"
        " since = excluded.since WHERE agent_presence.presence <> excluded.presence"
        " OR COALESCE(agent_presence.reason, '') <> COALESCE(excluded.reason, '')",
        (state.user_id, state.presence.value, state.reason, state.since),
    )
    return changed == 1
