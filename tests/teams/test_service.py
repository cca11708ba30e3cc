"""Teams: names checked and unique, memberships that move sockets between rooms, audited broadcasts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from callcenter.accounts.models import Actor, Role
from callcenter.accounts.service import AccountService
from callcenter.console.service import ConsoleService
from callcenter.db import Database
from callcenter.errors import Conflict, DomainError, Invalid, NotFound
from callcenter.teams.service import TeamService
from tests.factories import RecordingNotifier, make_user


def _locs(err: pytest.ExceptionInfo[DomainError]) -> list[tuple[str | int, ...]]:
    return [f.loc for f in err.value.fields]


async def _audit(db: Database, prefix: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows = await db.fetchall("SELECT action, target_id, detail FROM audit_log WHERE action LIKE ? ORDER BY id",
                             (f"{prefix}%",))
    return [(r["action"], r["target_id"], json.loads(r["detail"])) for r in rows]


async def test_create_list_rename_delete_with_audit(teams: TeamService, admin: Actor, db: Database) -> None:
    sales = await teams.create(admin, "  售前 Sales ", "售前")
    support = await teams.create(admin, "Support 售后")
    assert (sales.name, sales.name_zh, sales.member_count) == ("售前 Sales", "售前", 0)
    assert [t.name for t in await teams.list_teams()] == ["售前 Sales", "Support 售后"]
    assert [t.id for t in await teams.list_teams(after_id=sales.id)] == [support.id]

    renamed = await teams.rename(admin, sales.id, name="Sales")
    assert (renamed.name, renamed.name_zh) == ("Sales", "售前")
    cleared = await teams.rename(admin, sales.id, name_zh="")
    assert (cleared.name, cleared.name_zh) == ("Sales", None)
    await teams.delete(admin, support.id)
    with pytest.raises(NotFound):
        await teams.get(support.id)
    assert [t.name for t in await teams.list_teams()] == ["Sales"]
    assert await _audit(db, "team.") == [
        ("team.create", str(sales.id), {"name": "售前 Sales", "name_zh": "售前"}),
        ("team.create", str(support.id), {"name": "Support 售后", "name_zh": None}),
        ("team.rename", str(sales.id), {"name": "Sales", "name_zh": "售前", "was": "售前 Sales"}),
        ("team.rename", str(sales.id), {"name": "Sales", "name_zh": None, "was": "Sales"}),
        ("team.delete", str(support.id), {"name": "Support 售后", "members": []}),
    ]
    actor = await db.fetchone("SELECT actor_id, ip FROM audit_log WHERE action = 'team.delete'")
    assert actor == {"actor_id": admin.user_id, "ip": "10.0.0.9"}


async def test_bad_and_duplicate_names_name_their_field(teams: TeamService, admin: Actor, db: Database) -> None:
    with pytest.raises(Invalid) as empty:
        await teams.create(admin, "   ")
    assert _locs(empty) == [("name",)]
    with pytest.raises(Invalid) as long_zh:
        await teams.create(admin, "Sales", "售" * 81)
    assert _locs(long_zh) == [("name_zh",)]
    sales = await teams.create(admin, "Sales")
    support = await teams.create(admin, "Support")
    with pytest.raises(Conflict) as taken:
        await teams.create(admin, "Sales")
    assert _locs(taken) == [("name",)]
    with pytest.raises(Conflict) as rename_taken:
        await teams.rename(admin, support.id, name="Sales")
    assert _locs(rename_taken) == [("name",)]
    with pytest.raises(NotFound):
        await teams.rename(admin, 999, name="Nobody")
    with pytest.raises(NotFound):
        await teams.delete(admin, 999)
    unchanged = await teams.rename(admin, sales.id, name="Sales")
    assert unchanged == sales
    assert [a for a, _, _ in await _audit(db, "team.")] == ["team.create", "team.create"]


async def test_members_move_sockets_between_rooms_and_tell_the_room(
    teams: TeamService, admin: Actor, accounts: AccountService, notifier: RecordingNotifier, db: Database
) -> None:
    emma = await make_user(accounts, "emma", display_name="Emma Wilson")
    lina = await make_user(accounts, "lina", Role.SUPERVISOR, display_name="李娜")
    sales = await teams.create(admin, "Sales")
    support = await teams.create(admin, "Support")
    await teams.add_member(admin, sales.id, emma.id)
    detail = await teams.add_member(admin, sales.id, lina.id)
    await teams.add_member(admin, support.id, emma.id)

    assert [(m.username, m.role) for m in detail.members] == [("emma", "agent"), ("lina", "supervisor")]
    assert detail.team.member_count == 2
    assert await teams.teams_of(emma.id) == [sales.id, support.id]
    assert await teams.members(sales.id) == [emma.id, lina.id]
    assert await teams.rooms_for(emma) == [f"team:{sales.id}", f"team:{support.id}"]
    assert notifier.rooms == [(emma.id, [f"team:{sales.id}"], []), (lina.id, [f"team:{sales.id}"], []),
                              (emma.id, [f"team:{support.id}"], [])]
    assert notifier.broadcasts[1] == (f"team:{sales.id}", "team:update", {
        "team_id": sales.id, "name": "Sales", "name_zh": None, "member_ids": [emma.id, lina.id], "deleted": False})

    after = await teams.remove_member(admin, sales.id, emma.id)
    assert [m.user_id for m in after.members] == [lina.id]
    assert notifier.broadcasts[-1][2]["member_ids"] == [lina.id]
    assert notifier.rooms[-1] == (emma.id, [], [f"team:{sales.id}"])
    assert await teams.teams_of(emma.id) == [support.id]
    assert [(a, d) for a, _, d in await _audit(db, "team.member.")] == [
        ("team.member.add", {"user_id": emma.id}), ("team.member.add", {"user_id": lina.id}),
        ("team.member.add", {"user_id": emma.id}), ("team.member.remove", {"user_id": emma.id})]


async def test_membership_refusals(
    teams: TeamService, admin: Actor, accounts: AccountService, notifier: RecordingNotifier
) -> None:
    emma = await make_user(accounts, "emma")
    gone = await make_user(accounts, "gone")
    await accounts.update_user(admin, gone.id, disabled=True)
    sales = await teams.create(admin, "Sales")
    await teams.add_member(admin, sales.id, emma.id)
    for user_id in (gone.id, 999):
        with pytest.raises(Invalid) as refused:
            await teams.add_member(admin, sales.id, user_id)
        assert _locs(refused) == [("user_id",)]
    with pytest.raises(Conflict) as twice:
        await teams.add_member(admin, sales.id, emma.id)
    assert _locs(twice) == [("user_id",)]
    with pytest.raises(NotFound):
        await teams.add_member(admin, 999, emma.id)
    with pytest.raises(NotFound):
        await teams.remove_member(admin, sales.id, gone.id)
    assert await teams.members(sales.id) == [emma.id]
    assert len(notifier.rooms) == 1
    assert await teams.find_user(" emma ") == emma.id
    with pytest.raises(Invalid) as unknown:
        await teams.find_user("nobody")
    assert _locs(unknown) == [("username",)]


async def test_deleting_a_team_ends_memberships_and_empties_the_room(
    teams: TeamService, admin: Actor, accounts: AccountService, notifier: RecordingNotifier, db: Database
) -> None:
    emma = await make_user(accounts, "emma")
    sales = await teams.create(admin, "Sales")
    await teams.add_member(admin, sales.id, emma.id)
    await teams.delete(admin, sales.id)
    assert await db.fetchval("SELECT COUNT(*) FROM team_members") == 0
    assert await teams.teams_of(emma.id) == []
    assert notifier.broadcasts[-1] == (f"team:{sales.id}", "team:update", {
        "team_id": sales.id, "name": "Sales", "name_zh": None, "member_ids": [], "deleted": True})
    assert notifier.rooms[-1] == (emma.id, [], [f"team:{sales.id}"])
    assert (await _audit(db, "team.delete"))[0][2] == {"name": "Sales", "members": [emma.id]}


async def test_broadcast_is_a_numbered_push_to_each_enabled_member(
    teams: TeamService, admin: Actor, accounts: AccountService, notifier: RecordingNotifier, db: Database
) -> None:
    lina = await make_user(accounts, "lina", Role.SUPERVISOR, display_name="李娜")
    emma = await make_user(accounts, "emma")
    james = await make_user(accounts, "james")
    gone = await make_user(accounts, "gone")
    outsider = await make_user(accounts, "maria")
    sales = await teams.create(admin, "Sales")
    for user in (lina, emma, james, gone):
        await teams.add_member(admin, sales.id, user.id)
    await accounts.update_user(admin, gone.id, disabled=True)

    boss = Actor.of(lina, "10.0.0.7")
    assert await teams.broadcast(boss, sales.id, "  Queue is long, please stay available  ") == 3
    assert sorted(p.user_id for p in notifier.sent) == sorted([lina.id, emma.id, james.id])
    assert outsider.id not in {p.user_id for p in notifier.sent}
    push = next(p for p in notifier.sent if p.user_id == emma.id)
    assert (push.event, push.seq) == ("notify", 1)
    assert push.payload == {"level": "info", "message_key": "team.broadcast", "team_id": sales.id,
                            "params": {"from": "李娜", "text": "Queue is long, please stay available"}}
    stored = await db.fetchone("SELECT event, payload FROM pushes WHERE user_id = ?", (emma.id,))
    assert stored is not None and json.loads(stored["payload"]) == push.payload
    assert await _audit(db, "team.broadcast") == [
        ("team.broadcast", str(sales.id), {"text": "Queue is long, please stay available", "recipients": 3})]

    for text in ("   ", "x" * 501):
        with pytest.raises(Invalid) as bad:
            await teams.broadcast(boss, sales.id, text)
        assert _locs(bad) == [("text",)]
    with pytest.raises(NotFound):
        await teams.broadcast(boss, 999, "hello")
    assert len(notifier.sent) == 3


async def test_the_console_snapshot_lists_ones_teams(
    teams: TeamService, admin: Actor, accounts: AccountService, db: Database, clock: Any
) -> None:
    emma = await make_user(accounts, "emma")
    sales = await teams.create(admin, "售前 Sales", "售前")
    await teams.create(admin, "Support")
    await teams.add_member(admin, sales.id, emma.id)
    console = ConsoleService(db, clock, 60_000)
    console.add_part("teams", teams.console_part)
    snapshot = await console.snapshot(emma, None)
    assert snapshot["state"]["teams"] == {"items": [{"id": sales.id, "name": "售前 Sales", "name_zh": "售前"}]}
