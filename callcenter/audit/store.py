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
        where.append("a.id < ?")
        params.append(before_id)
    if action:
        where.append("a.action = ?")
        params.append(action)
    if actor_id is not None:
        where.append("a.actor_id = ?")
        params.append(actor_id)
    rows = await conn.fetchall(
        "SELECT a.id, a.at, a.actor_id, a.actor_role, a.action, a.target_kind, a.target_id, a.detail, a.ip,"
        " u.username AS actor_username FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id"
        f" WHERE {' AND '.join(where)} ORDER BY a.id DESC LIMIT ?",
        (*params, limit),
    )
    return [AuditEntry(**r) for r in rows]
