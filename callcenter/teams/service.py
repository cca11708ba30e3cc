"""Teams: admin changes (each audited), membership that moves connected sockets, supervisor broadcasts."""

from __future__ import annotations

from typing import Any

from callcenter.accounts.models import Actor, User
from callcenter.audit.service import record
from callcenter.clock import Clock
from callcenter.console.models import Notifier
from callcenter.console.service import record_pushes
from callcenter.db import Conn, Database
from callcenter.errors import Conflict, Invalid, NotFound, field_error
from callcenter.teams import store
from callcenter.teams.models import MAX_MESSAGE, MAX_NAME, Member, Team, TeamDetail, team_room

UPDATE_EVENT = "team:update"
BROADCAST_KEY = "team.broadcast"


def _check_name(value: str, field: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= MAX_NAME:
        raise Invalid(f"bad {field}", field_error(field, f"1–{MAX_NAME} characters"))
    return value


def _check_name_zh(value: str | None) -> str | None:
    """An empty Chinese name means none: the team's name is shown in every language."""
    return _check_name(value, "name_zh") if value and value.strip() else None


class TeamService:
    """Owns teams and memberships; tells the notifier which rooms a member's sockets belong in."""

    def __init__(self, db: Database, clock: Clock, notifier: Notifier) -> None:
        self.db = db
        self.clock = clock
        self.notifier = notifier

    async def list_teams(self, *, after_id: int = 0, limit: int = 50) -> list[Team]:
        """Teams by id with their member counts, one page."""
        async with self.db.read() as conn:
            return await store.list_teams(conn, after_id=after_id, limit=limit)

    async def get(self, team_id: int) -> TeamDetail:
        """One team with its members, or NotFound."""
        async with self.db.read() as conn:
            return await self._detail(conn, team_id)

    async def members_of(self, team_ids: list[int]) -> dict[int, list[Member]]:
        """The members of several teams (for the admin page)."""
        async with self.db.read() as conn:
            return await store.list_members(conn, team_ids)

    async def create(self, actor: Actor, name: str, name_zh: str | None = None) -> Team:
        """Add a team; a name already in use is a Conflict naming ``name``."""
        name, name_zh = _check_name(name, "name"), _check_name_zh(name_zh)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            team = await store.insert_team(conn, name, name_zh, now)
            if team is None:
                raise Conflict("team name taken", field_error("name", "another team has this name"))
            await record(conn, now, actor, "team.create", "team", team.id, name=name, name_zh=name_zh)
        return team

    async def rename(self, actor: Actor, team_id: int, *, name: str | None = None, name_zh: str | None = None) -> Team:
        """Change a team's names; ``None`` keeps one, an empty ``name_zh`` removes the Chinese name."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            current = await store.get_team(conn, team_id)
            if current is None:
                raise NotFound("no such team")
            new_name = current.name if name is None else _check_name(name, "name")
            new_zh = current.name_zh if name_zh is None else _check_name_zh(name_zh)
            if (new_name, new_zh) == (current.name, current.name_zh):
                return current
            if await store.name_taken(conn, new_name, team_id):
                raise Conflict("team name taken", field_error("name", "another team has this name"))
            await store.update_team(conn, team_id, new_name, new_zh, now)
            await record(conn, now, actor, "team.rename", "team", team_id, name=new_name, name_zh=new_zh,
                         was=current.name)
            detail = await self._detail(conn, team_id)
        await self.notifier.broadcast(team_room(team_id), UPDATE_EVENT, detail.update_payload())
        return detail.team

    async def delete(self, actor: Actor, team_id: int) -> None:
        """Remove a team and its memberships; its members' sockets leave the room."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            detail = await self._detail(conn, team_id)
            await store.delete_team(conn, team_id)
            await record(conn, now, actor, "team.delete", "team", team_id, name=detail.team.name,
                         members=[m.user_id for m in detail.members])
        room = team_room(team_id)
        await self.notifier.broadcast(room, UPDATE_EVENT, {**detail.update_payload(), "member_ids": [],
                                                           "deleted": True})
        for member in detail.members:
            await self.notifier.join_rooms(member.user_id, remove=[room])

    async def add_member(self, actor: Actor, team_id: int, user_id: int) -> TeamDetail:
        """Put an enabled user in a team; their connected sockets join its room at once."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            if await store.get_team(conn, team_id) is None:
                raise NotFound("no such team")
            user = await store.get_user(conn, user_id)
            if user is None or user[1]:
                why = "no such user" if user is None else "this user is disabled"
                raise Invalid(why, field_error("user_id", why))
            if not await store.insert_member(conn, team_id, user_id, now):
                raise Conflict("already a member", field_error("user_id", "already in this team"))
            await record(conn, now, actor, "team.member.add", "team", team_id, user_id=user_id)
            detail = await self._detail(conn, team_id)
        room = team_room(team_id)
        # Join before telling the room, so the new member hears about their own arrival.
        await self.notifier.join_rooms(user_id, add=[room])
        await self.notifier.broadcast(room, UPDATE_EVENT, detail.update_payload())
        return detail

    async def remove_member(self, actor: Actor, team_id: int, user_id: int) -> TeamDetail:
        """Take a user out of a team; their sockets leave its room."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            if await store.get_team(conn, team_id) is None:
                raise NotFound("no such team")
            if not await store.delete_member(conn, team_id, user_id):
                raise NotFound("not a member of this team")
            await record(conn, now, actor, "team.member.remove", "team", team_id, user_id=user_id)
            detail = await self._detail(conn, team_id)
        room = team_room(team_id)
        # Tell the room first, so the one leaving also learns they are out.
        await self.notifier.broadcast(room, UPDATE_EVENT, detail.update_payload())
        await self.notifier.join_rooms(user_id, remove=[room])
        return detail

    async def find_user(self, username: str) -> int:
        """The id of a user by username; Invalid naming ``username`` when there is none."""
        async with self.db.read() as conn:
            user_id = await store.user_id_by_username(conn, username.strip())
        if user_id is None:
            raise Invalid("no such user", field_error("username", "no user has this username"))
        return user_id

    async def teams_of(self, user_id: int) -> list[int]:
        """Ids of the teams a user is in."""
        async with self.db.read() as conn:
            return await store.team_ids_of(conn, user_id)

    async def members(self, team_id: int) -> list[int]:
        """Ids of a team's members."""
        async with self.db.read() as conn:
            return await store.member_ids(conn, team_id)

    async def rooms_for(self, user: User) -> list[str]:
        """The team rooms a connecting socket of this user joins."""
        return [team_room(team_id) for team_id in await self.teams_of(user.id)]

    async def console_part(self, conn: Conn, user: User) -> dict[str, Any]:
        """The snapshot part: the user's teams, which ``team:update`` then keeps current."""
        teams = await store.list_teams_of(conn, user.id)
        return {"items": [{"id": t.id, "name": t.name, "name_zh": t.name_zh} for t in teams]}

    async def broadcast(self, actor: Actor, team_id: int, message: str) -> int:
        """A supervisor's banner to every enabled member, numbered per member; returns how many it reached."""
        text = message.strip()
        if not 1 <= len(text) <= MAX_MESSAGE:
            raise Invalid("bad message", field_error("text", f"1–{MAX_MESSAGE} characters"))
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            if await store.get_team(conn, team_id) is None:
                raise NotFound("no such team")
            sender = None if actor.user_id is None else await store.get_user(conn, actor.user_id)
            payload = {"level": "info", "message_key": BROADCAST_KEY, "team_id": team_id,
                       "params": {"from": sender[0] if sender else (actor.role or "system"), "text": text}}
            recipients = await store.member_ids(conn, team_id, enabled_only=True)
            pushes = await record_pushes(conn, now, recipients, "notify", payload)
            await record(conn, now, actor, "team.broadcast", "team", team_id, text=text, recipients=len(pushes))
        await self.notifier.send(pushes)
        return len(pushes)

    async def _detail(self, conn: Conn, team_id: int) -> TeamDetail:
        team = await store.get_team(conn, team_id)
        if team is None:
            raise NotFound("no such team")
        members = await store.list_members(conn, [team_id])
        return TeamDetail(team, tuple(members[team_id]))
