"""SQL for the audit log."""

from __future__ import annotations

from callcenter.accounts.models import AuditEntry
from callcenter.db import Conn


async def insert_entry(
    conn: Conn,
    at: int,
    actor_id: int | None,
    actor_role: str | None,
    action: str,
    target_kind: str | None,
    target_id: str | None,
    detail: str,
    ip: str | None,
) -> None:
    """Append one entry."""
    await conn.execute(
        "INSERT INTO audit_log (at, actor_id, actor_role, action, target_kind, target_id, detail, ip)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (at, actor_id, actor_role, action, target_kind, target_id, detail, ip),
    )


async def list_entries(
    conn: Conn, *, before_id: int | None, limit: int, action: str | None, actor_id: int | None
) -> list[AuditEntry]:
    """Newest first, before a keyset cursor, filtered."""
    where: list[str] = ["1 = 1"]
    params: list[object] = []
    if before_id is not None:
        where.append("id < ?")
        params.append(before_id)
    if action:
        where.append("action = ?")
        params.append(action)
    if actor_id is not None:
        where.append("actor_id = ?")
        params.append(actor_id)
    rows = await conn.fetchall(
        "SELECT id, at, actor_id, actor_role, action, target_kind, target_id, detail, ip FROM audit_log"
        f" WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
        (*params, limit),
    )
    return [AuditEntry(**r) for r in rows]
