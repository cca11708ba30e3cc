"""The reads the routing service loads: queues as the router's QueueConfig, agents' skills, dispositions."""

from __future__ import annotations

from callcenter.accounts.models import Actor, Role
from callcenter.accounts.service import AccountService
from callcenter.db import Database
from callcenter.queues import store
from callcenter.queues.models import DispositionDraft, OverflowAction, QueueSettings, SkillWant
from callcenter.queues.service import QueueService
from callcenter.routing import QueueConfig
from tests.factories import make_user


async def test_routing_queues_are_the_enabled_ones_with_overflow_as_the_router_names_it(
        queues: QueueService, admin: Actor, db: Database) -> None:
    await queues.create_skill(admin, "French")
    await queues.create_skill(admin, "Billing")
    await queues.create_queue(admin, QueueSettings("spare", "Spare", enabled=False))
    await queues.create_queue(admin, QueueSettings(
        "support", "Support", ring_timeout_s=15, max_no_answer=None, max_wait_s=300, max_queue=0,
        overflow_action=OverflowAction.CALLBACK, tier_bonus={"A": 90, "B": 30, "C": 5},
        skills=(SkillWant("French", 3), SkillWant("Billing", 1))))
    await queues.create_queue(admin, QueueSettings("sales", "Sales", overflow_action=OverflowAction.QUEUE,
                                                   overflow_queue="support"))
    await queues.create_queue(admin, QueueSettings("late", "Late", overflow_action=OverflowAction.QUEUE,
                                                   overflow_queue="spare"))
    await queues.create_queue(admin, QueueSettings("night", "Night", overflow_action=OverflowAction.VOICEMAIL))

    async with db.read() as conn:
        configs = await store.routing_queues(conn)
    assert configs == [
        QueueConfig(id="late", name="Late", skills={}, ring_timeout_s=20, max_no_answer=3, overflow=None,
                    tier_bonus_s={"A": 60, "B": 20, "C": 0}),
        QueueConfig(id="night", name="Night", overflow="voicemail"),
        QueueConfig(id="sales", name="Sales", overflow="support"),
        QueueConfig(id="support", name="Support", skills={"Billing": 1, "French": 3}, ring_timeout_s=15,
                    max_no_answer=None, max_wait_s=300, max_queue=0, overflow="callback",
                    tier_bonus_s={"A": 90, "B": 30, "C": 5}),
    ]

    support = await queues.all_queues()
    await queues.update_queue(admin, next(q.id for q in support if q.key == "support"), {"enabled": False})
    async with db.read() as conn:
        configs = await store.routing_queues(conn)
    # With support disabled, sales overflowing into it rejects instead.
    assert [(c.id, c.overflow) for c in configs] == [("late", None), ("night", "voicemail"), ("sales", None)]


async def test_agent_skills_by_user_and_skill_name(queues: QueueService, admin: Actor, accounts: AccountService,
                                                   db: Database) -> None:
    emma = await make_user(accounts, "emma")
    lina = await make_user(accounts, "lina", Role.SUPERVISOR)
    bob = await make_user(accounts, "bob")
    await queues.create_skill(admin, "French")
    await queues.create_skill(admin, "Billing")
    await queues.set_agent_skills(admin, emma.id, [SkillWant("French", 4), SkillWant("Billing", 2)])
    await queues.set_agent_skills(admin, lina.id, [SkillWant("Billing", 5)])

    async with db.read() as conn:
        everyone = await store.agent_skills(conn)
        some = await store.agent_skills(conn, [lina.id, bob.id])
        none = await store.agent_skills(conn, [])
    assert everyone == {emma.id: {"French": 4, "Billing": 2}, lina.id: {"Billing": 5}}
    assert some == {lina.id: {"Billing": 5}}
    assert none == {}


async def test_queue_lookups_and_dispositions_for_wrap_up(queues: QueueService, admin: Actor, db: Database) -> None:
    sales = await queues.create_queue(admin, QueueSettings("sales", "Sales", "销售", wrap_up_s=30,
                                                           service_level_s=15))
    await queues.create_queue(admin, QueueSettings("after", "After", enabled=False))
    sale = await queues.add_disposition(admin, sales.id, DispositionDraft("sale", "Sale", "成交", True, position=2))
    await queues.add_disposition(admin, sales.id, DispositionDraft("spam", "Spam", position=1, enabled=False))
    info = await queues.add_disposition(admin, sales.id, DispositionDraft("info", "Information", position=1))

    async with db.read() as conn:
        found = await store.queue_by_key(conn, "sales")
        missing = await store.queue_by_key(conn, "nowhere")
        listed = await store.list_queues(conn)
        offered = await store.dispositions_for(conn, "sales")
        none = await store.dispositions_for(conn, "after")
        one = await store.get_disposition(conn, sale.id)
        gone = await store.get_disposition(conn, 999)
    assert found is not None and missing is None
    assert (found.id, found.name_zh, found.wrap_up_s, found.service_level_s, found.enabled) == (
        sales.id, "销售", 30, 15, True)
    assert [q.key for q in listed] == ["after", "sales"]
    assert [d.code for d in offered] == ["info", "sale"]
    assert none == [] and gone is None
    assert one is not None and one.payload() == {
        "id": sale.id, "queue_id": sales.id, "code": "sale", "label": "Sale", "label_zh": "成交",
        "first_contact_resolved": True, "position": 2, "enabled": True}
    assert info.payload()["first_contact_resolved"] is False
    assert found.payload()["overflow_action"] == "reject" and found.payload()["skills"] == []
