"""SQL for integrations."""

from __future__ import annotations

import json
from typing import Any

from callcenter.db import Conn, Row
from callcenter.integrations.models import Integration, IntegrationKind

_COLS = (
    "id, kind, name, token_hash, account_sid, auth_token_secret, default_region, block_list, enabled,"
    " created_at, updated_at"
)
_UPDATABLE = {"name", "token_hash", "account_sid", "auth_token_secret", "default_region", "block_list", "enabled"}


def _integration(row: Row) -> Integration:
    return Integration(
        id=row["id"],
        kind=IntegrationKind(row["kind"]),
        name=row["name"],
        token_hash=row["token_hash"],
        account_sid=row["account_sid"],
        auth_token_secret=row["auth_token_secret"],
        default_region=row["default_region"],
        block_list=tuple(json.loads(row["block_list"])),
        enabled=bool(row["enabled"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def insert_integration(
    conn: Conn, kind: IntegrationKind, name: str, token_hash: str | None, account_sid: str | None,
    auth_token_secret: str | None, default_region: str, block_list: list[str], now: int,
) -> Integration | None:
    """Insert an integration; None when its token hash or account SID is already taken."""
    row = await conn.fetchone(
        "INSERT INTO integrations (kind, name, token_hash, account_sid, auth_token_secret, default_region,"
        " block_list, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, TRUE, ?, ?)"
        f" ON CONFLICT DO NOTHING RETURNING {_COLS}",
        (kind.value, name, token_hash, account_sid, auth_token_secret, default_region, json.dumps(block_list),
         now, now),
    )
    return None if row is None else _integration(row)


async def get_integration(conn: Conn, integration_id: int) -> Integration | None:
    """One integration by id."""
    row = await conn.fetchone(f"SELECT {_COLS} FROM integrations WHERE id = ?", (integration_id,))
    return None if row is None else _integration(row)


async def get_by_token_hash(conn: Conn, token_hash: str) -> Integration | None:
    """The integration a token hash belongs to."""
    row = await conn.fetchone(f"SELECT {_COLS} FROM integrations WHERE token_hash = ?", (token_hash,))
    return None if row is None else _integration(row)


async def get_by_account_sid(conn: Conn, account_sid: str) -> Integration | None:
    """The Twilio integration of an account."""
    row = await conn.fetchone(f"SELECT {_COLS} FROM integrations WHERE account_sid = ?", (account_sid,))
    return None if row is None else _integration(row)


async def account_sid_taken(conn: Conn, account_sid: str, other_than: int) -> bool:
    """True when another integration already uses this account SID."""
    found = await conn.fetchval(
        "SELECT id FROM integrations WHERE account_sid = ? AND id <> ?", (account_sid, other_than)
    )
    return found is not None


async def list_integrations(
    conn: Conn, *, after_id: int, limit: int, kind: IntegrationKind | None, enabled: bool | None
) -> list[Integration]:
    """Integrations ordered by id, after a keyset cursor, filtered."""
    where: list[str] = ["id > ?"]
    params: list[object] = [after_id]
    if kind is not None:
        where.append("kind = ?")
        params.append(kind.value)
    if enabled is not None:
        where.append("enabled = ?")
        params.append(enabled)
    rows = await conn.fetchall(
        f"SELECT {_COLS} FROM integrations WHERE {' AND '.join(where)} ORDER BY id LIMIT ?", (*params, limit)
    )
    return [_integration(r) for r in rows]


async def update_integration(conn: Conn, integration_id: int, now: int, **fields: Any) -> bool:
    """Set the given columns of one integration; False when there is no such integration."""
    if not fields or not set(fields) <= _UPDATABLE:
        raise ValueError(f"cannot update {set(fields) - _UPDATABLE}")
    if "block_list" in fields:
        fields["block_list"] = json.dumps(list(fields["block_list"]))
    sets = ", ".join(f"{k} = ?" for k in fields)
    changed = await conn.execute(
        f"UPDATE integrations SET {sets}, updated_at = ? WHERE id = ?", (*fields.values(), now, integration_id)
    )
    return changed == 1
