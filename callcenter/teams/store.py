"""SQL for teams and their members."""

from __future__ import annotations

from collections.abc import Sequence

from callcenter.db import Conn, Row
from callcenter.teams.models import Member, Team

_COUNT = "(SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id)"
_COLS = f"t.id, t.name, t.name_zh, t.created_at, t.updated_at, {_COUNT} AS member_count"


def _team(row: Row) -> Team:
    return Team(
        id=row["id"],
        name=row["name"],
        name_zh=row["name_zh"],
        member_count=row["member_count"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def insert_team(conn: Conn, name: str, name_zh: str | None, now: int) -> Team | None:
    """Insert a team; None when the name is taken."""
    row = await conn.fetchone(
        "INSERT INTO teams (name, name_zh, created_at, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (name) DO NOTHING RETURNING id, name, name_zh, created_at, updated_at",
        (name, name_zh, now, now),
    )
    return None if row is None else _team({**row, "member_count": 0})


async def get_team(conn: Conn, team_id: int) -> Team | None:
    """One team by id, with its member count."""
    row = await conn.fetchone(f"SELECT {_COLS} FROM teams t WHERE t.id = ?", (team_id,))
    return None if row is None else _team(row)


async def list_teams(conn: Conn, *, after_id: int, limit: int) -> list[Team]:
    """Teams ordered by id, after a keyset cursor."""
    rows = await conn.fetchall(f"SELECT {_COLS} FROM teams t WHERE t.id > ? ORDER BY t.id LIMIT ?", (after_id, limit))
    return [_team(r) for r in rows]


async def list_teams_of(conn: Conn, user_id: int) -> list[Team]:
    """The teams a user belongs to, ordered by id."""
    rows = await conn.fetchall(
        f"SELECT {_COLS} FROM teams t JOIN team_members tm ON tm.team_id = t.id WHERE tm.user_id = ? ORDER BY t.id",
        (user_id,),
    )
    return [_team(r) for r in rows]


async def name_taken(conn: Conn, name: str, other_than: int) -> bool:
    """True when another team already has this name."""
    return await conn.fetchval("SELECT id FROM teams WHERE name = ? AND id <> ?", (name, other_than)) is not None


async def update_team(conn: Conn, team_id: int, name: str, name_zh: str | None, now: int) -> bool:
    """Rename a team; False when there is no such team."""
    changed = await conn.execute(
        "UPDATE teams SET name = ?, name_zh = ?, updated_at = ? WHERE id = ?", (name, name_zh, now, team_id)
    )
    return changed == 1


async def delete_team(conn: Conn, team_id: int) -> bool:
    """Delete a team (its memberships go with it); False when there is no such team."""
    return await conn.execute("DELETE FROM teams WHERE id = ?", (team_id,)) == 1


async def list_members(conn: Conn, team_ids: Sequence[int]) -> dict[int, list[Member]]:
    """The members of each team, ordered by display name."""
    found: dict[int, list[Member]] = {t: [] for t in team_ids}
    if not team_ids:
        return found
    marks = ", ".join("?" for _ in team_ids)
    rows = await conn.fetchall(
        "SELECT tm.team_id, u.id, u.username, u.display_name, u.role, u.disabled FROM team_members tm"
        f" JOIN users u ON u.id = tm.user_id WHERE tm.team_id IN ({marks}) ORDER BY u.display_name, u.id",
        tuple(team_ids),
    )
    for r in rows:
        found[r["team_id"]].append(Member(r["id"], r["username"], r["display_name"], r["role"], bool(r["disabled"])))
    return found


async def insert_member(conn: Conn, team_id: int, user_id: int, now: int) -> bool:
    """Add a user to a team; False when they are a member already."""
    changed = await conn.execute(
        "INSERT INTO team_members (team_id, user_id, added_at) VALUES (?, ?, ?)"
        " ON CONFLICT (team_id, user_id) DO NOTHING",
        (team_id, user_id, now),
    )
    return changed == 1


async def delete_member(conn: Conn, team_id: int, user_id: int) -> bool:
    """Take a user out of a team; False when they were not in it."""
    return await conn.execute("DELETE FROM team_members WHERE team_id = ? AND user_id = ?", (team_id, user_id)) == 1


async def team_ids_of(conn: Conn, user_id: int) -> list[int]:
    """Ids of the teams a user is in."""
    rows = await conn.fetchall("SELECT team_id FROM team_members WHERE user_id = ? ORDER BY team_id", (user_id,))
    return [r["team_id"] for r in rows]


async def member_ids(conn: Conn, team_id: int, *, enabled_only: bool = False) -> list[int]:
    """Ids of a team's members; ``enabled_only`` leaves out disabled users."""
    extra = " AND u.disabled = FALSE" if enabled_only else ""
    rows = await conn.fetchall(
        f"SELECT tm.user_id FROM team_members tm JOIN users u ON u.id = tm.user_id WHERE tm.team_id = ?{extra}"
        " ORDER BY tm.user_id",
        (team_id,),
    )
    return [r["user_id"] for r in rows]


async def get_user(conn: Conn, user_id: int) -> tuple[str, bool] | None:
    """A user's display name and whether they are disabled."""
    row = await conn.fetchone("SELECT display_name, disabled FROM users WHERE id = ?", (user_id,))
    return None if row is None else (row["display_name"], bool(row["disabled"]))


async def user_id_by_username(conn: Conn, username: str) -> int | None:
    """The id of the user with this username."""
    found: int | None = await conn.fetchval("SELECT id FROM users WHERE username = ?", (username,))
    return found
