"""Customer service over a real SQLite database: profiles, validation, search, caller match, cards, value."""

from __future__ import annotations

import asyncio
import json

import pytest

from callcenter.accounts.models import SYSTEM, Actor, Role
from callcenter.accounts.service import AccountService
from callcenter.clock import FakeClock
from callcenter.customers.models import CustomerDraft, MatchKind, OrderDraft, PhoneDraft, Tier
from callcenter.customers.service import CustomerService
from callcenter.db import Database
from callcenter.errors import Invalid, NotFound
from tests.customers.test_value import EXPECTED_CLV, EXPECTED_RFM, EXPECTED_TIER, FIXTURE, NOW
from tests.factories import make_user

AGENT = Actor(7, "agent")


@pytest.fixture
def service(db: Database, clock: FakeClock) -> CustomerService:
    return CustomerService(db, clock, "CN")


def draft(name: str, *numbers: str, **fields: object) -> CustomerDraft:
    return CustomerDraft(name=name, phones=tuple(PhoneDraft(n) for n in numbers), **fields)  # type: ignore[arg-type]


def locs(err: pytest.ExceptionInfo[Invalid]) -> list[tuple[str | int, ...]]:
    return [f.loc for f in err.value.fields]


async def test_create_read_update_with_phones_replaced_as_a_set(service: CustomerService) -> None:
    created = await service.create(SYSTEM, draft(
        "王芳", "138 0013 8000", "+44 20 7946 0958 ext. 12", "13800138000",
        email="wang@example.cn", language="zh-hans", timezone="Asia/Shanghai", segment="retail",
        notes="prefers mornings", notes_important=True,
    ))

    assert [(p.e164, p.extension) for p in created.phones] == [("+8613800138000", None), ("+442079460958", "12")]
    assert created.language == "zh-Hans" and created.tier is Tier.C and created.notes_important
    assert await service.get(created.id) == created

    changed = await service.update(AGENT, created.id, CustomerDraft(
        company="华为", phones=(PhoneDraft("020 7946 0000", "office"),), cleared=frozenset({"email"}),
    ), region="GB")
    assert changed.company == "华为" and changed.email is None and changed.name == "王芳"
    assert [(p.e164, p.label) for p in changed.phones] == [("+442079460000", "office")]
    assert changed.timezone == "Asia/Shanghai"  # not given, kept


async def test_validation_names_every_bad_field(service: CustomerService) -> None:
    with pytest.raises(Invalid) as err:
        await service.create(SYSTEM, draft(
            " ", "13800138000", "12", "not a number", email="nope", language="english!", timezone="Mars/Olympus",
        ))
    assert sorted(locs(err), key=str) == sorted(
        [("name",), ("phones", 1), ("phones", 2), ("email",), ("language",), ("timezone",)], key=str
    )
    with pytest.raises(Invalid) as err:
        await service.create(SYSTEM, draft("Ann"), region="XX")
    assert locs(err) == [("region",)]
    assert await service.search() == []


async def test_dedicated_agent_must_be_an_enabled_user(
    service: CustomerService, accounts: AccountService
) -> None:
    emma = await make_user(accounts, "emma", Role.AGENT)
    gone = await make_user(accounts, "gone", Role.AGENT)
    await accounts.update_user(SYSTEM, gone.id, disabled=True)

    customer = await service.create(SYSTEM, draft("Ann", dedicated_agent_id=emma.id))
    assert customer.dedicated_agent_id == emma.id
    for agent_id in (gone.id, 999):
        with pytest.raises(Invalid) as err:
            await service.update(SYSTEM, customer.id, CustomerDraft(dedicated_agent_id=agent_id))
        assert locs(err) == [("dedicated_agent_id",)]
    with pytest.raises(NotFound):
        await service.update(SYSTEM, 999, CustomerDraft(name="x"))
    with pytest.raises(Invalid):
        await service.update(SYSTEM, customer.id, CustomerDraft(cleared=frozenset({"name"})))


async def test_search_by_cjk_name_case_and_numbers_in_any_format(service: CustomerService) -> None:
    wang = await service.create(SYSTEM, draft("王芳", "138 0013 8000"))
    smith = await service.create(SYSTEM, draft("John SMITH", "+44 20 7946 0958", company="Acme Ltd"))
    await service.create(SYSTEM, draft("50%_off Ltd"))

    async def ids(q: str, region: str | None = None) -> list[int]:
        return [c.id for c in await service.search(q=q, region=region)]

    assert await ids("芳") == [wang.id]
    assert await ids("smith") == [smith.id]
    assert await ids("ACME") == [smith.id]
    assert await ids("+86 138-0013-8000") == [wang.id]
    assert await ids("0086 13800138000") == [wang.id]
    assert await ids("13800138000") == [wang.id]
    assert await ids("020 7946 0958", "GB") == [smith.id]
    assert await ids("020 7946 0958") == [smith.id]  # read in CN it is no number, but its digits end one
    assert await ids("0958") == [smith.id]
    assert await ids("%") == [3]  # LIKE wildcards are literal
    assert await ids("958") == []  # too few digits for a suffix match


async def test_list_pages_by_id_and_filters(service: CustomerService, accounts: AccountService) -> None:
    emma = await make_user(accounts, "emma")
    made = [await service.create(SYSTEM, draft(f"c{i}", dedicated_agent_id=emma.id if i % 2 else None))
            for i in range(5)]
    page1 = await service.search(limit=2)
    page2 = await service.search(after_id=page1[-1].id, limit=2)
    assert [c.id for c in page1 + page2] == [c.id for c in made[:4]]
    assert [c.name for c in await service.search(dedicated_agent_id=emma.id)] == ["c1", "c3"]
    assert len(await service.search(tier=Tier.C)) == 5
    assert await service.search(tier=Tier.A) == []


async def test_match_exact_national_several_withheld_none(service: CustomerService) -> None:
    wang = await service.create(SYSTEM, draft("王芳", "+86 138 0013 8000"))
    a = await service.create(SYSTEM, draft("Front desk", "+44 20 7946 0958"))
    b = await service.create(SYSTEM, draft("Back office", "+44 20 7946 0958 ext. 7"))

    exact = await service.match("+8613800138000", "GB")
    assert (exact.kind, exact.candidates, exact.customer_id, exact.region_used) == (
        MatchKind.EXACT, (wang.id,), wang.id, None)
    national = await service.match("138 0013 8000", "CN")
    assert (national.kind, national.customer_id, national.region_used) == (MatchKind.NATIONAL, wang.id, "CN")
    several = await service.match("02079460958", "GB")
    assert (several.kind, several.candidates, several.customer_id) == (MatchKind.SEVERAL, (a.id, b.id), None)
    assert (await service.match("anonymous", "CN")).kind is MatchKind.WITHHELD
    assert (await service.match("+266696687", "CN")).kind is MatchKind.WITHHELD
    none = await service.match("+86 139 0000 0000", "CN")
    assert (none.kind, none.candidates, none.e164) == (MatchKind.NONE, (), "+8613900000000")


async def test_cards_carry_profile_value_and_agent_in_the_order_asked(
    service: CustomerService, accounts: AccountService
) -> None:
    emma = await make_user(accounts, "emma", display_name="Emma Wilson")
    a = await service.create(SYSTEM, draft("Ann", "+86 138 0013 8000", "+44 20 7946 0958 x12",
                                           dedicated_agent_id=emma.id, timezone="Europe/London"))
    b = await service.create(SYSTEM, draft("Bo"))
    await service.bulk_orders(SYSTEM, [(0, OrderDraft(NOW - 86_400_000, 10_000, customer_id=a.id))])

    cards = await service.cards([b.id, a.id, 999, b.id])

    assert [c["id"] for c in cards] == [b.id, a.id]
    card = cards[1]
    assert json.loads(json.dumps(card)) == card
    assert card["phones"] == [
        {"e164": "+8613800138000", "extension": None, "label": None, "display": "138 0013 8000"},
        {"e164": "+442079460958", "extension": "12", "label": None, "display": "+44 20 7946 0958 x12"},
    ]
    assert card["tier"] == "A" and card["tier_share"] == {"from_pct": 0.0, "to_pct": 80.0}
    assert card["rfm"] == {"r": 3, "f": 3, "m": 3}
    assert (card["revenue_12m_cents"], card["orders_12m"], card["last_order_at"]) == (10_000, 1, NOW - 86_400_000)
    assert card["clv_cents"] == 11_372  # 3_000 × 3.790786769…
    assert card["dedicated_agent"] == {"id": emma.id, "username": "emma", "display_name": "Emma Wilson"}
    assert card["timezone"] == "Europe/London"
    assert cards[0]["rfm"] is None and cards[0]["tier"] == "C" and cards[0]["dedicated_agent"] is None
    assert cards[0]["tier_share"] == {"from_pct": 95.0, "to_pct": 100.0}


async def test_quick_create_and_add_phone_name_the_phone_field(service: CustomerService) -> None:
    new = await service.quick_create(AGENT, "李雷", "13800138000", "CN", language="zh-Hans", company="ACME")
    assert (new.name, new.phones[0].e164, new.language, new.company) == ("李雷", "+8613800138000", "zh-Hans", "ACME")
    with pytest.raises(Invalid) as err:
        await service.quick_create(AGENT, "x", "123", "CN")
    assert locs(err) == [("phone",)]

    added = await service.add_phone(AGENT, new.id, "+44 20 7946 0958", None, "work")
    again = await service.add_phone(AGENT, new.id, "0044 20 7946 0958", "CN")
    assert added == again
    assert [(p.e164, p.label) for p in again.phones] == [("+8613800138000", None), ("+442079460958", "work")]
    assert (await service.match("+442079460958", "CN")).customer_id == new.id
    with pytest.raises(Invalid) as err:
        await service.add_phone(AGENT, new.id, "nope", "CN")
    assert locs(err) == [("phone",)]
    with pytest.raises(NotFound):
        await service.add_phone(AGENT, 999, "13800138001", "CN")


async def test_agents_edits_are_not_audited_but_supervisors_are(service: CustomerService, db: Database) -> None:
    await service.quick_create(AGENT, "Ann", "13800138000", "CN")
    await service.create(Actor(None, "supervisor"), draft("Bo"))
    actions = [r["action"] for r in await db.fetchall("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["customer.create"]


async def test_bulk_upsert_keeps_good_items_reports_bad_and_updates_same_name_same_number(
    service: CustomerService,
) -> None:
    first = await service.create(SYSTEM, draft("Wang Fang", "13800138000"))
    results = await service.bulk_upsert(SYSTEM, [
        (0, draft("wang  FANG", "+86 138 0013 8000", "13900139000", company="ACME")),
        (1, draft("Li Lei", "13800138000")),
        (2, draft("", "12")),
        (3, draft("Zhao", "13700137000", timezone="Nowhere/City")),
    ])

    assert [(r.index, r.action) for r in results] == [(0, "updated"), (1, "created"), (2, None), (3, None)]
    assert results[0].id == first.id
    assert {e.loc for e in results[2].errors} == {("name",), ("phones", 0)}
    assert [e.loc for e in results[3].errors] == [("timezone",)]
    updated = await service.get(first.id)
    assert updated.name == "wang  FANG" and updated.company == "ACME"
    assert [p.e164 for p in updated.phones] == ["+8613800138000", "+8613900139000"]
    assert [c.name for c in await service.search()] == ["wang  FANG", "Li Lei"]
    # Two customers now share the number: the pop must not pick.
    assert (await service.match("13800138000", "CN")).kind is MatchKind.SEVERAL


async def test_concurrent_bulk_upserts_of_the_same_customers_add_each_once(service: CustomerService) -> None:
    """Imports running side by side (PostgreSQL runs their transactions at once) each find what the
    other added, whatever order their rows come in, instead of both adding it."""
    rows = [draft("Wang Fang", "13800138000"), draft("Li Lei", "13900139000", "13700137000"),
            draft("Zhao Min", "13600136000")]
    forwards = list(enumerate(rows))
    backwards = list(enumerate(reversed(rows)))
    results = await asyncio.gather(*(service.bulk_upsert(SYSTEM, items)
                                     for _ in range(3) for items in (forwards, backwards)))

    assert sorted(c.name for c in await service.search()) == ["Li Lei", "Wang Fang", "Zhao Min"]
    actions = [r.action for batch in results for r in batch]
    assert actions.count("created") == 3 and actions.count("updated") == 15


async def test_orders_recompute_values_as_the_hand_computed_fixture(service: CustomerService, db: Database) -> None:
    ids = [(await service.create(SYSTEM, draft(f"customer {i}"))).id for i in range(1, 11)]
    assert ids == list(range(1, 11))  # the fixture names customers 1–10
    items = [(i, OrderDraft(o.at_ms, o.amount_cents, customer_id=o.customer_id)) for i, o in enumerate(FIXTURE)]

    results = await service.bulk_orders(SYSTEM, items)

    assert all(r.action == "stored" for r in results)
    rows = {r["customer_id"]: r for r in await db.fetchall("SELECT * FROM customer_values")}
    assert {cid: Tier(r["tier"]) for cid, r in rows.items()} == EXPECTED_TIER
    assert {cid: r["clv_cents"] for cid, r in rows.items()} == EXPECTED_CLV
    rfm = {cid: (r["r"], r["f"], r["m"]) if r["r"] is not None else None for cid, r in rows.items()}
    assert rfm == {cid: (v.recency, v.frequency, v.monetary) if v else None for cid, v in EXPECTED_RFM.items()}
    assert {c.id: c.tier for c in await service.search()} == EXPECTED_TIER
    assert sum(r["revenue_12m_cents"] for r in rows.values()) == 1_000_000
    assert await service.recompute_values(NOW) == 0  # nothing changed, nothing written


async def test_orders_age_out_with_the_daily_job(service: CustomerService, clock: FakeClock) -> None:
    a = await service.create(SYSTEM, draft("Ann"))
    b = await service.create(SYSTEM, draft("Bo"))
    await service.bulk_orders(SYSTEM, [(0, OrderDraft(NOW - 300 * 86_400_000, 90_000, customer_id=a.id)),
                                       (1, OrderDraft(NOW - 10 * 86_400_000, 10_000, customer_id=b.id))])
    assert [c["tier"] for c in await service.cards([a.id, b.id])] == ["A", "B"]

    await service.daily_value_job(NOW + 100 * 86_400_000)

    cards = await service.cards([a.id, b.id])
    assert [c["tier"] for c in cards] == ["C", "A"]
    assert cards[0]["revenue_12m_cents"] == 0 and cards[0]["rfm"] is not None


async def test_orders_name_their_customer_by_id_phone_or_email_and_are_idempotent(
    service: CustomerService, db: Database
) -> None:
    a = await service.create(SYSTEM, draft("Ann", "13800138000", email="Ann@Example.com"))
    await service.create(SYSTEM, draft("Twin 1", "13900139000"))
    await service.create(SYSTEM, draft("Twin 2", "13900139000"))
    results = await service.bulk_orders(SYSTEM, [
        (0, OrderDraft(NOW, 100, customer_phone="138 0013 8000", external_id="o-1")),
        (1, OrderDraft(NOW, 200, customer_email="ann@example.COM", external_id="o-1")),
        (2, OrderDraft(NOW, 300, customer_id=a.id)),
        (3, OrderDraft(NOW, 400, customer_phone="13900139000")),
        (4, OrderDraft(NOW, 500, customer_id=999)),
        (5, OrderDraft(NOW, 600, customer_phone="12")),
        (6, OrderDraft(NOW, 700)),
    ])
    assert [r.action for r in results] == ["stored", "stored", "stored", None, None, None, None]
    assert [r.errors[0].loc for r in results[3:]] == [("customer_phone",), ("customer_id",), ("customer_phone",),
                                                      ("customer_id",)]
    assert results[3].errors[0].msg == "several customers match"
    orders = await service.list_orders(a.id)
    assert [(o.external_id, o.amount_cents) for o in orders] == [("o-1", 200), (None, 300)]
    single = await service.add_order(SYSTEM, a.id, NOW - 1, 50)
    assert [o.id for o in await service.latest_orders(a.id)][-1] == single.id
    with pytest.raises(NotFound):
        await service.add_order(SYSTEM, 999, NOW, 1)
    with pytest.raises(NotFound):
        await service.list_orders(999)
