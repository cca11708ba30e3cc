"""Skills, proficiencies, queues and dispositions: rules that name their fields, cascades, cycles, audit, listeners."""

from __future__ import annotations

import json
from typing import Any

import pytest

from callcenter.accounts.models import Actor, Role
from callcenter.accounts.service import AccountService
from callcenter.db import Database
from callcenter.errors import Conflict, DomainError, Invalid, NotFound
from callcenter.queues.models import DispositionDraft, OverflowAction, QueueSettings, SkillWant
from callcenter.queues.service import QueueService
from tests.factories import make_user


def _locs(err: pytest.ExceptionInfo[DomainError]) -> list[tuple[str | int, ...]]:
    return [f.loc for f in err.value.fields]


async def _audit(db: Database, *prefixes: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows = await db.fetchall("SELECT action, target_id, detail FROM audit_log ORDER BY id")
    return [(r["action"], r["target_id"], json.loads(r["detail"])) for r in rows if r["action"].startswith(prefixes)]


def _count(queues: QueueService) -> list[str]:
    """Register a listener that notes each call, as the routing service's reload would run."""
    calls: list[str] = []

    async def listener() -> None:
        calls.append("reload")

    queues.listeners.append(listener)
    return calls


async def test_skills_are_named_uniquely_renamed_listed_and_audited(queues: QueueService, admin: Actor,
                                                                    db: Database) -> None:
    reloads = _count(queues)
    french = await queues.create_skill(admin, "  French ", "法语")
    billing = await queues.create_skill(admin, "Billing")
    assert (french.name, french.name_zh, french.agent_count, french.queue_count) == ("French", "法语", 0, 0)
    assert [s.name for s in await queues.list_skills()] == ["French", "Billing"]
    assert [s.id for s in await queues.list_skills(after_id=french.id)] == [billing.id]

    with pytest.raises(Conflict) as taken:
        await queues.create_skill(admin, "FRENCH")
    assert _locs(taken) == [("name",)]
    with pytest.raises(Invalid) as blank:
        await queues.create_skill(admin, "   ", "法" * 81)
    assert _locs(blank) == [("name",), ("name_zh",)]
    with pytest.raises(Conflict):
        await queues.update_skill(admin, billing.id, name="french")

    zh_only = await queues.update_skill(admin, french.id, name_zh="")
    assert (zh_only.name, zh_only.name_zh) == ("French", None)
    assert reloads == []  # the Chinese name is not routing's business
    renamed = await queues.update_skill(admin, french.id, name="French language")
    assert renamed.name == "French language" and reloads == ["reload"]
    assert await queues.update_skill(admin, french.id, name="French language") == renamed
    with pytest.raises(NotFound):
        await queues.update_skill(admin, 999, name="x")
    assert await _audit(db, "skill.") == [
        ("skill.create", str(french.id), {"name": "French", "name_zh": "法语"}),
        ("skill.create", str(billing.id), {"name": "Billing", "name_zh": None}),
        ("skill.update", str(french.id), {"name": "French", "name_zh": None, "was": "French"}),
        ("skill.update", str(french.id), {"name": "French language", "name_zh": None, "was": "French"}),
    ]


async def test_agent_skills_replace_the_whole_set_by_name_or_id(queues: QueueService, admin: Actor,
                                                                accounts: AccountService, db: Database) -> None:
    emma = await make_user(accounts, "emma")
    lina = await make_user(accounts, "lina", Role.SUPERVISOR)
    french = await queues.create_skill(admin, "French")
    billing = await queues.create_skill(admin, "Billing")
    reloads = _count(queues)

    agent = await queues.set_agent_skills(admin, emma.id, [SkillWant("french", 4), SkillWant(billing.id, 2)])
    assert [(s.name, s.level) for s in agent.skills] == [("Billing", 2), ("French", 4)]
    assert (await queues.agent(emma.id)).level(french.id) == 4
    supervisor = await queues.set_agent_skills(admin, lina.id, [SkillWant(str(billing.id), 5)])
    assert [(s.name, s.level) for s in supervisor.skills] == [("Billing", 5)]
    replaced = await queues.set_agent_skills(admin, emma.id, [SkillWant("Billing", 3)])
    assert [(s.name, s.level) for s in replaced.skills] == [("Billing", 3)]
    assert reloads == ["reload"] * 3
    assert (await queues.get_skill(billing.id)).agent_count == 2

    with pytest.raises(Invalid) as bad:
        await queues.set_agent_skills(admin, emma.id, [SkillWant("Billing", 6), SkillWant("Klingon", 2),
                                                       SkillWant(french.id, 0), SkillWant("billing", 1)])
    assert _locs(bad) == [("skills", 0, "proficiency"), ("skills", 1, "skill"), ("skills", 2, "proficiency"),
                          ("skills", 3, "skill")]
    assert [(s.name, s.level) for s in (await queues.agent(emma.id)).skills] == [("Billing", 3)]
    with pytest.raises(NotFound):
        await queues.set_agent_skills(admin, admin.user_id or 0, [SkillWant("Billing", 1)])  # an admin takes no calls
    with pytest.raises(NotFound):
        await queues.agent(999)
    assert reloads == ["reload"] * 3
    assert (await _audit(db, "agent.skills"))[-1] == (
        "agent.skills", str(emma.id), {"skills": {"Billing": 3}, "was": {"Billing": 2, "French": 4}})
    assert [a.username for a in await queues.list_agents()] == ["emma", "lina"]


async def test_deleting_a_skill_takes_it_from_agents_and_queues(queues: QueueService, admin: Actor,
                                                                accounts: AccountService, db: Database) -> None:
    emma = await make_user(accounts, "emma")
    french = await queues.create_skill(admin, "French")
    billing = await queues.create_skill(admin, "Billing")
    await queues.set_agent_skills(admin, emma.id, [SkillWant("French", 4), SkillWant("Billing", 2)])
    paris = await queues.create_queue(admin, QueueSettings("paris", "Paris", skills=(SkillWant("French", 3),)))
    assert (await queues.get_skill(french.id)).queue_count == 1
    reloads = _count(queues)

    await queues.delete_skill(admin, french.id)
    assert reloads == ["reload"]
    assert [s.name for s in (await queues.agent(emma.id)).skills] == ["Billing"]
    assert (await queues.get_queue(paris.id)).skills == ()
    assert await db.fetchval("SELECT COUNT(*) FROM agent_skills WHERE skill_id = ?", (french.id,)) == 0
    assert [s.id for s in await queues.all_skills()] == [billing.id]
    with pytest.raises(NotFound):
        await queues.delete_skill(admin, french.id)
    assert (await _audit(db, "skill.delete")) == [
        ("skill.delete", str(french.id), {"name": "French", "agents": 1, "queues": 1})]


async def test_a_queue_is_created_with_defaults_and_checked_field_by_field(queues: QueueService, admin: Actor,
                                                                          db: Database) -> None:
    await queues.create_skill(admin, "French")
    reloads = _count(queues)
    sales = await queues.create_queue(admin, QueueSettings(" sales ", " Sales ", "销售",
                                                           skills=(SkillWant("french", 2),)))
    assert (sales.key, sales.name, sales.name_zh, sales.ring_timeout_s, sales.max_no_answer, sales.wrap_up_s) == (
        "sales", "Sales", "销售", 20, 3, 60)
    assert (sales.overflow_action, sales.overflow_queue, sales.tier_bonus, sales.enabled) == (
        OverflowAction.REJECT, None, {"A": 60, "B": 20, "C": 0}, True)
    assert [(s.name, s.level) for s in sales.skills] == [("French", 2)]
    assert await queues.dispositions(sales.id) == []
    assert reloads == ["reload"]

    with pytest.raises(Conflict) as taken:
        await queues.create_queue(admin, QueueSettings("sales", "Other"))
    assert _locs(taken) == [("key",)]
    bad = QueueSettings("Sales!", "", ring_timeout_s=4, max_no_answer=0, wrap_up_s=3601, max_wait_s=-1,
                        max_queue=10001, service_level_s=0, tier_bonus={"A": 60, "B": -1, "C": 0},
                        skills=(SkillWant("Klingon", 1),))
    with pytest.raises(Invalid) as invalid:
        await queues.create_queue(admin, bad)
    assert _locs(invalid) == [("key",), ("name",), ("ring_timeout_s",), ("max_no_answer",), ("wrap_up_s",),
                              ("max_wait_s",), ("max_queue",), ("service_level_s",), ("tier_bonus", "B")]
    with pytest.raises(Invalid) as unknown_skill:
        await queues.create_queue(admin, QueueSettings("paris", "Paris", skills=(SkillWant("Klingon", 1),)))
    assert _locs(unknown_skill) == [("skills", 0, "skill")]
    for key in ("voicemail", "callback"):
        with pytest.raises(Invalid) as reserved:
            await queues.create_queue(admin, QueueSettings(key, "Sink"))
        assert _locs(reserved) == [("key",)]
    with pytest.raises(Invalid) as tiers:
        await queues.create_queue(admin, QueueSettings("paris", "Paris", tier_bonus={"A": 1, "D": 2}))
    assert _locs(tiers) == [("tier_bonus",)]
    assert [q.key for q in await queues.all_queues()] == ["sales"]
    assert reloads == ["reload"]
    [(action, target, detail)] = await _audit(db, "queue.")
    assert (action, target, detail["key"], detail["skills"][0]["skill"]) == ("queue.create", str(sales.id), "sales",
                                                                               "French")


async def test_overflow_needs_an_existing_other_queue_and_no_cycle(queues: QueueService, admin: Actor) -> None:
    a = await queues.create_queue(admin, QueueSettings("a", "A"))
    with pytest.raises(Invalid) as missing:
        await queues.create_queue(admin, QueueSettings("b", "B", overflow_action=OverflowAction.QUEUE))
    assert _locs(missing) == [("overflow_queue",)]
    with pytest.raises(Invalid) as unknown:
        await queues.create_queue(admin, QueueSettings("b", "B", overflow_action=OverflowAction.QUEUE,
                                                       overflow_queue="nowhere"))
    assert _locs(unknown) == [("overflow_queue",)]
    with pytest.raises(Invalid) as stray:
        await queues.create_queue(admin, QueueSettings("b", "B", overflow_action=OverflowAction.VOICEMAIL,
                                                       overflow_queue="a"))
    assert _locs(stray) == [("overflow_queue",)]
    with pytest.raises(Invalid) as itself:
        await queues.update_queue(admin, a.id, {"overflow_action": "queue", "overflow_queue": "a"})
    assert _locs(itself) == [("overflow_queue",)]

    b = await queues.create_queue(admin, QueueSettings("b", "B", overflow_action=OverflowAction.QUEUE,
                                                       overflow_queue="a"))
    c = await queues.create_queue(admin, QueueSettings("c", "C", overflow_action=OverflowAction.QUEUE,
                                                       overflow_queue="b"))
    assert (b.overflow_queue, b.overflow_queue_id) == ("a", a.id)
    with pytest.raises(Invalid) as two:
        await queues.update_queue(admin, a.id, {"overflow_action": "queue", "overflow_queue": "b"})
    assert _locs(two) == [("overflow_queue",)]
    assert two.value.fields[0].msg == "calls would go round: a → b → a"
    with pytest.raises(Invalid) as three:
        await queues.update_queue(admin, a.id, {"overflow_action": "queue", "overflow_queue": "c"})
    assert three.value.fields[0].msg == "calls would go round: a → c → b → a"
    assert (await queues.get_queue(a.id)).overflow_action == OverflowAction.REJECT

    # Cutting the chain frees the way: b goes to voicemail (forgetting a), then a may overflow into c.
    cut = await queues.update_queue(admin, b.id, {"overflow_action": "voicemail"})
    assert (cut.overflow_action, cut.overflow_queue, cut.overflow_queue_id) == (OverflowAction.VOICEMAIL, None, None)
    joined = await queues.update_queue(admin, a.id, {"overflow_action": "queue", "overflow_queue": "c"})
    assert joined.overflow_queue == "c" and c.overflow_queue == "b"


async def test_update_changes_only_what_is_given_and_hears_only_real_changes(queues: QueueService, admin: Actor,
                                                                            db: Database) -> None:
    await queues.create_skill(admin, "French")
    await queues.create_skill(admin, "Billing")
    sales = await queues.create_queue(admin, QueueSettings("sales", "Sales", max_wait_s=120,
                                                           skills=(SkillWant("French", 2),)))
    reloads = _count(queues)
    updated = await queues.update_queue(admin, sales.id, {
        "name": "Sales EU", "max_wait_s": None, "tier_bonus": {"A": 90, "B": 30, "C": 0},
        "skills": (SkillWant("Billing", 3), SkillWant("French", 2)), "enabled": False})
    assert (updated.name, updated.max_wait_s, updated.tier_bonus, updated.enabled) == (
        "Sales EU", None, {"A": 90, "B": 30, "C": 0}, False)
    assert (updated.ring_timeout_s, updated.key) == (20, "sales")
    assert [(s.name, s.level) for s in updated.skills] == [("Billing", 3), ("French", 2)]
    assert reloads == ["reload"]
    same = await queues.update_queue(admin, sales.id, {"name": "Sales EU", "skills": (SkillWant("french", 2),
                                                                                      SkillWant("billing", 3))})
    assert same == updated and reloads == ["reload"]

    with pytest.raises(Invalid) as fixed:
        await queues.update_queue(admin, sales.id, {"key": "other", "colour": "red"})
    assert _locs(fixed) == [("colour",), ("key",)]
    with pytest.raises(Invalid) as nulls:
        await queues.update_queue(admin, sales.id, {"name": None, "ring_timeout_s": None, "enabled": None})
    assert _locs(nulls) == [("name",), ("ring_timeout_s",), ("enabled",)]
    with pytest.raises(NotFound):
        await queues.update_queue(admin, 999, {"name": "x"})
    [(action, _, detail)] = await _audit(db, "queue.update")
    assert action == "queue.update" and set(detail) == {"name", "max_wait_s", "tier_bonus", "skills", "enabled", "was"}
    assert detail["was"]["name"] == "Sales" and detail["was"]["max_wait_s"] == 120


async def test_a_queue_in_use_is_not_deleted_and_says_by_what(queues: QueueService, admin: Actor,
                                                              db: Database) -> None:
    sales = await queues.create_queue(admin, QueueSettings("sales", "Sales"))
    spill = await queues.create_queue(admin, QueueSettings("spill", "Spill", overflow_action=OverflowAction.QUEUE,
                                                           overflow_queue="sales"))
    await queues.add_disposition(admin, sales.id, DispositionDraft("sale", "Sale"))
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO numbers (number, queue_id, region, created_at, updated_at)"
                           " VALUES (?, ?, ?, ?, ?)", ("+15550100", sales.id, "US", 0, 0))
    reloads = _count(queues)
    with pytest.raises(Conflict) as used:
        await queues.delete_queue(admin, sales.id)
    assert _locs(used) == [("numbers",), ("queues",)]
    assert "+15550100" in used.value.message and "spill" in used.value.message
    assert await queues.queue_users(sales.id) == (["+15550100"], ["spill"])

    async with db.transaction() as conn:
        await conn.execute("DELETE FROM numbers")
    await queues.update_queue(admin, spill.id, {"overflow_action": "reject"})
    await queues.delete_queue(admin, sales.id)
    assert await db.fetchval("SELECT COUNT(*) FROM dispositions") == 0
    with pytest.raises(NotFound):
        await queues.get_queue(sales.id)
    assert reloads == ["reload", "reload"]
    assert (await _audit(db, "queue.delete")) == [("queue.delete", str(sales.id), {"key": "sales", "name": "Sales"})]


async def test_dispositions_per_queue_with_unique_codes_and_positions(queues: QueueService, admin: Actor,
                                                                      db: Database) -> None:
    sales = await queues.create_queue(admin, QueueSettings("sales", "Sales"))
    support = await queues.create_queue(admin, QueueSettings("support", "Support"))
    reloads = _count(queues)
    sale = await queues.add_disposition(admin, sales.id, DispositionDraft(" sale ", " Sale ", "成交", True))
    later = await queues.add_disposition(admin, sales.id, DispositionDraft("later", "Call back later"))
    first = await queues.add_disposition(admin, sales.id, DispositionDraft("spam", "Spam", position=0))
    same_code = await queues.add_disposition(admin, support.id, DispositionDraft("sale", "Sale"))
    assert (sale.code, sale.label, sale.label_zh, sale.first_contact_resolved, sale.position) == (
        "sale", "Sale", "成交", True, 0)
    assert (later.position, first.position, same_code.position) == (1, 0, 0)
    assert [d.code for d in await queues.dispositions(sales.id)] == ["sale", "spam", "later"]

    with pytest.raises(Conflict) as taken:
        await queues.add_disposition(admin, sales.id, DispositionDraft("sale", "Again"))
    assert _locs(taken) == [("code",)]
    with pytest.raises(Invalid) as bad:
        await queues.add_disposition(admin, sales.id, DispositionDraft("Bad Code", "", "x" * 81, position=-1))
    assert _locs(bad) == [("code",), ("label",), ("label_zh",), ("position",)]
    with pytest.raises(NotFound):
        await queues.add_disposition(admin, 999, DispositionDraft("x", "X"))

    moved = await queues.update_disposition(admin, later.id, {"position": 5, "label_zh": "稍后回电", "enabled": False})
    assert (moved.position, moved.label_zh, moved.enabled, moved.code) == (5, "稍后回电", False, "later")
    kept = await queues.update_disposition(admin, later.id, {"position": None})
    assert kept.position == 5
    with pytest.raises(Conflict) as clash:
        await queues.update_disposition(admin, later.id, {"code": "sale"})
    assert _locs(clash) == [("code",)]
    with pytest.raises(Invalid) as foreign:
        await queues.update_disposition(admin, later.id, {"queue_id": support.id})
    assert _locs(foreign) == [("queue_id",)]

    removed = await queues.delete_disposition(admin, first.id)
    assert removed.code == "spam"
    with pytest.raises(NotFound):
        await queues.get_disposition(first.id)
    assert reloads == []  # dispositions are not routing's business
    assert [a for a, _, _ in await _audit(db, "disposition.")] == [
        "disposition.create", "disposition.create", "disposition.create", "disposition.create",
        "disposition.update", "disposition.delete"]


async def test_a_disposition_calls_were_wrapped_up_with_stays(queues: QueueService, admin: Actor,
                                                              db: Database) -> None:
    sales = await queues.create_queue(admin, QueueSettings("sales", "Sales"))
    sale = await queues.add_disposition(admin, sales.id, DispositionDraft("sale", "Sale"))
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO calls (provider, external_id, direction, state, started_at, created_at, updated_at,"
            " disposition_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ("generic", "c1", "inbound", "ended", 0, 0, 0, sale.id))
    with pytest.raises(Conflict) as used:
        await queues.delete_disposition(admin, sale.id)
    assert "disable it" in used.value.message
    assert (await queues.update_disposition(admin, sale.id, {"enabled": False})).enabled is False


async def test_a_failing_listener_neither_undoes_the_change_nor_silences_the_others(queues: QueueService,
                                                                                    admin: Actor) -> None:
    async def broken() -> None:
        raise RuntimeError("router is down")

    queues.listeners.append(broken)
    reloads = _count(queues)
    sales = await queues.create_queue(admin, QueueSettings("sales", "Sales"))
    assert reloads == ["reload"]
    assert (await queues.get_queue(sales.id)).key == "sales"
