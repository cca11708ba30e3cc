"""Presence: the agent (or a supervisor) says whether the agent takes work; everyone sees it live."""

from __future__ import annotations

from typing import Any

from callcenter.accounts.models import Actor, User
from callcenter.agents import store
from callcenter.agents.models import AWAY_REASONS, Presence, PresenceState
from callcenter.audit.service import record
from callcenter.clock import Clock
from callcenter.console.models import Notifier
from callcenter.console.service import record_pushes
from callcenter.db import Conn, Database
from callcenter.errors import Invalid, field_error


class AgentService:
    """Owns presence changes and their pushes."""

    def __init__(self, db: Database, clock: Clock, notifier: Notifier) -> None:
        self.db = db
        self.clock = clock
        self.notifier = notifier

    async def set_presence(
        self, user_id: int, presence: Presence, reason: str | None, actor: Actor | None = None
    ) -> PresenceState:
        """Change presence; pushed to the agent (numbered) and to supervisors (state update).

        ``actor`` is set when someone else (a supervisor) makes the change; that is audited.
        """
        if presence is Presence.AWAY:
            reason = reason or "break"
            if reason not in AWAY_REASONS:
                raise Invalid("unknown away reason", field_error("reason", f"one of {', '.join(AWAY_REASONS)}"))
        else:
            reason = None
        now = self.clock.now_ms()
        state = PresenceState(user_id, presence, reason, now)
        async with self.db.transaction() as conn:
            if not await store.upsert_presence(conn, state):
                current = await store.get_presence(conn, user_id)
                return current or state
            payload: dict[str, Any] = state.payload()
            if actor is not None and actor.user_id != user_id:
                payload["set_by"] = actor.user_id
                await record(conn, now, actor, "agent.presence", "user", user_id, presence=presence.value,
                             reason=reason)
            pushes = await record_pushes(conn, now, [user_id], "agent:state", payload)
        await self.notifier.send(pushes)
        await self.notifier.broadcast("supervisors", "agent:state", payload)
        return state

    async def presence_of(self, conn: Conn, user: User) -> dict[str, Any]:
        """The snapshot part: the user's presence (offline until they say otherwise)."""
        state = await store.get_presence(conn, user.id)
        return (state or PresenceState(user.id, Presence.OFFLINE, None, user.created_at)).payload()
