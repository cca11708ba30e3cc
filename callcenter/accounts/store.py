"""SQL for users, sessions and login attempts."""

from __future__ import annotations

from typing import Any

from callcenter.accounts.models import Role, Session, User
from callcenter.db import Conn, Row

_USER_COLS = "u.id, u.username, u.display_name, u.role, u.locale, u.disabled, u.created_at"


def _user(row: Row) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        locale=row["locale"],
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
    )


async def insert_user(
    conn: Conn, username: str, display_name: str, role: Role, password_hash: str, locale: str | None, now: int
) -> User | None:
    """Insert a user; None when the username is taken."""
    row = await conn.fetchone(
        "INSERT INTO users (username, display_name, role, password_hash, locale, disabled, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, FALSE, ?, ?) ON CONFLICT (username) DO NOTHING"
        " RETURNING id, username, display_name, role, locale, disabled, created_at",
        (username, display_name, role.value, password_hash, locale, now, now),
    )
    return None if row is None else _user(row)


async def get_user(conn: Conn, user_id: int) -> User | None:
    """One user by id."""
    row = await conn.fetchone(f"SELECT {_USER_COLS} FROM users u WHERE u.id = ?", (user_id,))
    return None if row is None else _user(row)


async def get_login(conn: Conn, username: str) -> tuple[User, str] | None:
    """A user and their password hash, by username."""
    row = await conn.fetchone(
        f"SELECT {_USER_COLS}, u.password_hash FROM users u WHERE u.username = ?", (username,)
    )
    return None if row is None else (_user(row), row["password_hash"])


async def list_users(
    conn: Conn, *, after_id: int, limit: int, role: Role | None, q: str | None, disabled: bool | None
) -> list[User]:
    """Users ordered by id, after a keyset cursor, filtered."""
    where: list[str] = ["u.id > ?"]
    params: list[object] = [after_id]
    if role is not None:
        where.append("u.role = ?")
        params.append(role.value)
    if q:
        where.append("(LOWER(u.username) LIKE ? OR LOWER(u.display_name) LIKE ?)")
        like = f"%{q.lower()}%"
        params += [like, like]
    if disabled is not None:
        where.append("u.disabled = ?")
        params.append(disabled)
    rows = await conn.fetchall(
        f"SELECT {_USER_COLS} FROM users u WHERE {' AND '.join(where)} ORDER BY u.id LIMIT ?",
        (*params, limit),
    )
    return [_user(r) for r in rows]


async def update_user(conn: Conn, user_id: int, now: int, **fields: Any) -> bool:
    """Set the given columns of one user; False when there is no such user."""
    allowed = {"display_name", "role", "locale", "disabled", "password_hash"}
    if not fields or not set(fields) <= allowed:
        raise ValueError(f"cannot update {set(fields) - allowed}")
    sets = ", ".join(f"{k} = ?" for k in fields)
    return (
        await conn.execute(
            f"UPDATE users SET {sets}, updated_at = ? WHERE id = ?",
            (*fields.values(), now, user_id),
        )
        == 1
    )


async def insert_session(
    conn: Conn, token_hash: str, user_id: int, csrf: str, now: int, expires_at: int, ip: str | None, ua: str | None
) -> None:
    """Record a new login session."""
    await conn.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ip,"
        " user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (token_hash, user_id, csrf, now, now, expires_at, ip, ua),
    )


async def get_session(conn: Conn, token_hash: str, now: int) -> tuple[Session, int] | None:
    """A live session of an enabled user, with when it was last seen."""
    row = await conn.fetchone(
        f"SELECT {_USER_COLS}, s.token_hash, s.csrf_token, s.expires_at, s.last_seen_at FROM sessions s"
        " JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ? AND NOT u.disabled",
        (token_hash, now),
    )
    if row is None:
        return None
    return Session(row["token_hash"], _user(row), row["csrf_token"], row["expires_at"]), row["last_seen_at"]


async def touch_session(conn: Conn, token_hash: str, now: int, expires_at: int) -> None:
    """Slide an active session's idle expiry forward."""
    await conn.execute(
        "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE token_hash = ?", (now, expires_at, token_hash)
    )


async def delete_session(conn: Conn, token_hash: str) -> int | None:
    """End one session; return its user's id."""
    row = await conn.fetchone("DELETE FROM sessions WHERE token_hash = ? RETURNING user_id", (token_hash,))
    return None if row is None else int(row["user_id"])


async def delete_user_sessions(conn: Conn, user_id: int) -> list[str]:
    """End every session of a user; return their token hashes."""
    rows = await conn.fetchall("DELETE FROM sessions WHERE user_id = ? RETURNING token_hash", (user_id,))
    return [r["token_hash"] for r in rows]


async def delete_expired_sessions(conn: Conn, now: int) -> int:
    """Forget sessions past their expiry."""
    return await conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))


async def insert_login_attempt(conn: Conn, username: str, ip: str, now: int, ok: bool) -> None:
    """Remember one login attempt for throttling."""
    await conn.execute(
        "INSERT INTO login_attempts (username, ip, at, ok) VALUES (?, ?, ?, ?)", (username, ip, now, ok)
    )


async def count_failures(conn: Conn, column: str, value: str, since: int) -> int:
    """Failed attempts for a username or an address since a time (after its last success)."""
    if column not in {"username", "ip"}:
        raise ValueError(column)
    last_ok = await conn.fetchval(
        f"SELECT MAX(at) FROM login_attempts WHERE {column} = ? AND ok AND at >= ?",
        (value, since),
    )
    return int(
        await conn.fetchval(
            f"SELECT COUNT(*) FROM login_attempts WHERE {column} = ? AND NOT ok AND at >= ?",
            (value, max(since, (last_ok or 0) + 1) if column == "username" else since),
        )
    )


async def delete_login_attempts_before(conn: Conn, before: int) -> int:
    """Forget attempts older than the throttling window."""
    return await conn.execute("DELETE FROM login_attempts WHERE at < ?", (before,))
