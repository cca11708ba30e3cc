"""Recording and reading the audit log."""

from __future__ import annotations

import json
from typing import Any

from callcenter.accounts.models import Actor, AuditEntry
from callcenter.audit import store
from callcenter.db import Conn, Database


async def record(
    conn: Conn,
    now: int,
    actor: Actor,
    action: str,
    target_kind: str | None = None,
    target_id: object = None,
    **detail: Any,
) -> None:
    """Write an entry inside the caller's transaction, so the action and its record land together."""
    await store.insert_entry(
        conn,
        now,
        actor.user_id,
        actor.role,
        action,
        target_kind,
        None if target_id is None else str(target_id),
        json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        actor.ip,
    )


class AuditService:
    """Reads the log for the admin pages and API."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(
        self, *, before_id: int | None, limit: int, action: str | None = None, actor_id: int | None = None
    ) -> list[AuditEntry]:
        """Newest entries first."""
        async with self.db.read() as conn:
            return await store.list_entries(
                conn, before_id=before_id, limit=limit, action=action, actor_id=actor_id
            )
