"""CSV imports: bad rows reported by line and field, good rows stored whole, same name + number updates."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.accounts.models import Role
from callcenter.accounts.service import AccountService
from callcenter.clock import FakeClock
from callcenter.customers.importer import RowProblem, import_customers_csv, import_orders_csv, run_import
from callcenter.customers.models import MatchKind
from callcenter.customers.service import CustomerService
from callcenter.db import Database
from callcenter.settings import Settings
from tests.factories import make_user

DATA = Path(__file__).parent / "data"


@pytest.fixture
def service(db: Database, clock: FakeClock) -> CustomerService:
    return CustomerService(db, clock, "CN")


async def test_mixed_customer_file_keeps_good_rows_and_reports_bad_ones_by_line(
    service: CustomerService, accounts: AccountService
) -> None:
    emma = await make_user(accounts, "emma", Role.AGENT)

    report = await import_customers_csv(service, DATA / "customers_mixed.csv", "CN")

    assert report.problems == [
        RowProblem(4, "name", "must not be empty"),
        RowProblem(5, "phone2", "not a phone number we can dial (read with region CN)"),
        RowProblem(6, "email", "not an email address"),
        RowProblem(9, "language", "a language tag such as en, zh-Hans or pt-BR"),
        RowProblem(9, "timezone", "an IANA time zone such as Asia/Shanghai"),
        RowProblem(10, "dedicated_agent", "no enabled user has this username"),
        RowProblem(13, "row", "11 cells but 10 columns"),
    ]
    assert (report.rows, report.created, report.updated) == (10, 3, 1)
    assert report.lines()[0] == "10 rows: 3 customers created, 1 updated, 6 refused"
    assert "line 5: phone2: not a phone number we can dial (read with region CN)" in report.lines()

    customers = await service.search()
    assert [c.name for c in customers] == ["王芳", "John Smith", "Qian Kun"]
    wang, john, qian = customers
    assert [p.e164 for p in wang.phones] == ["+8613800138000", "+442079460958", "+8613900139000"]
    assert (wang.notes, wang.email, wang.company, wang.dedicated_agent_id) == (
        "second visit", "wang@example.cn", "华为", emma.id)
    assert (john.phones[0].e164, john.timezone, john.language) == ("+14155550100", "America/Los_Angeles", "en")
    assert qian.notes == "line one\nline two"
    # Nothing half-stored: Li Lei's good first number did not come in without the bad second one.
    assert (await service.match("13200132000", "CN")).kind is MatchKind.NONE
    assert await service.search(q="Li Lei") == []


async def test_importing_the_same_file_again_updates_instead_of_duplicating(
    service: CustomerService, accounts: AccountService
) -> None:
    await make_user(accounts, "emma")
    await import_customers_csv(service, DATA / "customers_mixed.csv", "CN")
    again = await import_customers_csv(service, DATA / "customers_mixed.csv", "CN")
    assert (again.created, again.updated) == (0, 4)
    assert [c.name for c in await service.search()] == ["王芳", "John Smith", "Qian Kun"]


async def test_file_problems_header_and_encoding(service: CustomerService, tmp_path: Path) -> None:
    no_email = tmp_path / "no_email.csv"
    no_email.write_text("name,phone\nAnn,13800138000\n", encoding="utf-8")
    report = await import_customers_csv(service, no_email)
    assert report.problems == [RowProblem(1, "header", "missing column(s): email")]

    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("name,phone,email\nAnn,13800138000,a@b.cn\nJosé,13800138001,j@b.cn\n".encode("latin-1"))
    report = await import_customers_csv(service, latin1)
    assert report.problems == [RowProblem(3, "file", "not UTF-8 text")]

    plain = tmp_path / "plain.csv"
    plain.write_text("phone,email,name,fax\n13800138000,,Ann,1\n", encoding="utf-8")
    report = await import_customers_csv(service, plain)
    assert report.created == 1 and report.problems == []
    assert report.warnings == [RowProblem(1, "fax", "unknown column, ignored")]
    assert report.lines() == ["1 rows: 1 customers created, 0 updated, 0 refused",
                              "line 1: fax: unknown column, ignored"]
    assert [c.name for c in await service.search(q="ann")] == ["Ann"]


async def test_order_file_stores_good_rows_idempotently_and_recomputes_value(
    service: CustomerService, accounts: AccountService, db: Database
) -> None:
    await make_user(accounts, "emma")
    await import_customers_csv(service, DATA / "customers_mixed.csv", "CN")

    report = await import_orders_csv(service, DATA / "orders_mixed.csv", "CN")

    assert report.problems == [
        RowProblem(5, "customer_id", "give customer_id, customer_phone or customer_email"),
        RowProblem(6, "at", "an ISO date such as 2025-06-30 or date-time"),
        RowProblem(7, "amount", "must not be negative"),
        RowProblem(8, "amount", "at most two decimal places"),
    ]
    assert report.stored == 4
    wang, john, _ = await service.search()
    assert [(o.external_id, o.amount_cents) for o in await service.list_orders(wang.id)] == [("A-1", 123_450)]
    assert [(o.external_id, o.amount_cents) for o in await service.list_orders(john.id)] == [
        ("A-2", 9_990), (None, 1_000)]
    cards = {c["id"]: c for c in await service.cards([wang.id, john.id])}
    assert cards[wang.id]["tier"] == "A" and cards[wang.id]["revenue_12m_cents"] == 123_450
    assert cards[john.id]["orders_12m"] == 2 and cards[john.id]["rfm"] is not None
    values = await db.fetchval("SELECT COUNT(*) FROM customer_values")
    assert values == 3

    missing = DATA.parent / "data" / "customers_mixed.csv"  # has no order columns
    report = await import_orders_csv(service, missing)
    assert report.problems[0] == RowProblem(1, "header", "missing column(s): at, amount, "
                                                         "customer_id or customer_phone or customer_email")


async def test_run_import_opens_the_database_and_reports(settings: Settings) -> None:
    report = await run_import(settings, "customers", DATA / "customers_mixed.csv", "CN")
    assert report.created == 3  # no user "emma" here: 王芳's first row is refused, the second creates
    orders = await run_import(settings, "orders", DATA / "orders_mixed.csv")
    assert orders.stored == 4

    db = Database(settings.database_url)
    await db.connect()
    try:
        tiers = await db.fetchall("SELECT c.name, v.tier FROM customers c JOIN customer_values v"
                                  " ON v.customer_id = c.id ORDER BY c.id")
    finally:
        await db.close()
    assert len(tiers) == 3 and {t["tier"] for t in tiers} <= {"A", "B", "C"}
