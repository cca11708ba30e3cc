"""SQL for agent presence and devices."""

from __future__ import annotations

from collections.abc import Sequence

from callcenter.agents.models import AgentDirectory, Device, DeviceKind
from callcenter.db import Conn, Row

_DEVICE_COLS = "d.id, d.user_id, d.kind, d.value, d.label, d.created_at"


def _device(row: Row) -> Device:
    return Device(row["id"], row["user_id"], DeviceKind(row["kind"]), row["value"], row["label"], row["created_at"])


async def username_of(conn: Conn, user_id: int) -> str | None:
    """A user's login name."""
    value = await conn.fetchval("SELECT username FROM users WHERE id = ?", (user_id,))
    return None if value is None else str(value)


async def user_exists(conn: Conn, user_id: int) -> bool:
    """True when the user exists (disabled or not)."""
    return await conn.fetchval("SELECT id FROM users WHERE id = ?", (user_id,)) is not None


async def insert_device(
    conn: Conn, user_id: int, kind: DeviceKind, value: str, label: str | None, now: int
) -> Device | None:
    """Give a user a device; None when some user already has it."""
    row = await conn.fetchone(
        "INSERT INTO agent_devices (user_id, kind, value, label, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (kind, value) DO NOTHING RETURNING id, user_id, kind, value, label, created_at",
        (user_id, kind.value, value, label, now),
    )
    return None if row is None else _device(row)


async def owner_of(conn: Conn, kind: DeviceKind, value: str) -> int | None:
    """The user who has a device."""
    found = await conn.fetchval("SELECT user_id FROM agent_devices WHERE kind = ? AND value = ?", (kind.value, value))
    return None if found is None else int(found)


async def list_devices(conn: Conn, user_ids: Sequence[int]) -> list[Device]:
    """The devices of some users, by user then id."""
    if not user_ids:
        return []
    marks = ", ".join("?" for _ in user_ids)
    rows = await conn.fetchall(
        f"SELECT {_DEVICE_COLS} FROM agent_devices d WHERE d.user_id IN ({marks}) ORDER BY d.user_id, d.id",
        tuple(user_ids),
    )
    return [_device(r) for r in rows]


async def delete_device(conn: Conn, user_id: int, device_id: int) -> Device | None:
    """Take a device away from its user; None when the user has no such device."""
    row = await conn.fetchone(
        "DELETE FROM agent_devices WHERE id = ? AND user_id = ? RETURNING id, user_id, kind, value, label, created_at",
        (device_id, user_id),
    )
    return None if row is None else _device(row)


async def get_device(conn: Conn, device_id: int) -> Device | None:
    """One device by id."""
    row = await conn.fetchone(f"SELECT {_DEVICE_COLS} FROM agent_devices d WHERE d.id = ?", (device_id,))
    return None if row is None else _device(row)


async def set_active_device(conn: Conn, user_id: int, device_id: int | None, now: int) -> None:
    """Record the device an agent works at (None: none chosen)."""
    await conn.execute(
        "INSERT INTO agent_active_device (user_id, active_device_id, chosen_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET active_device_id = excluded.active_device_id,"
        " chosen_at = excluded.chosen_at",
        (user_id, device_id, now),
    )


async def get_active_devices(conn: Conn, user_ids: Sequence[int]) -> dict[int, int]:
    """The chosen device id of each of some users who has one."""
    if not user_ids:
        return {}
    marks = ", ".join("?" for _ in user_ids)
    rows = await conn.fetchall(
        f"SELECT user_id, active_device_id FROM agent_active_device WHERE user_id IN ({marks})"
        " AND active_device_id IS NOT NULL",
        tuple(user_ids),
    )
    return {r["user_id"]: r["active_device_id"] for r in rows}


async def load_directory(conn: Conn) -> AgentDirectory:
    """Every enabled user's names and devices."""
    users = await conn.fetchall("SELECT id, username, display_name FROM users WHERE NOT disabled ORDER BY id")
    devices = await conn.fetchall(
        f"SELECT {_DEVICE_COLS} FROM agent_devices d JOIN users u ON u.id = d.user_id WHERE NOT u.disabled"
    )
    return AgentDirectory.build(
        ((r["id"], r["username"], r["display_name"]) for r in users), (_device(r) for r in devices)
    )
