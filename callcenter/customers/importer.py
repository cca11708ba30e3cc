"""CSV imports of customers and orders: bad rows reported by line and field, good rows kept.

Customers: a header row with at least ``name,phone,email``; optional ``company``, ``language``,
``timezone``, ``segment``, ``notes``, ``notes_important`` (yes/no), ``dedicated_agent`` (a
username) and more numbers as ``phone2``, ``phone3`` …. A row whose number already belongs to a
customer of the same name updates that customer (non-empty cells overwrite, new numbers are
added) instead of adding a duplicate; see ``CustomerService.bulk_upsert``.

Orders: ``at`` (ISO date or date-time, UTC unless it has an offset), ``amount`` (e.g. ``1234.50``),
the customer as ``customer_id``, ``customer_phone`` or ``customer_email``, and an optional
``external_id`` that makes importing the same file twice harmless.

Files are UTF-8, with or without a byte-order mark. Each row is stored whole or not at all.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from callcenter.accounts.models import SYSTEM
from callcenter.clock import SystemClock
from callcenter.customers.bulk import ItemResult
from callcenter.customers.models import CustomerDraft, OrderDraft, PhoneDraft
from callcenter.customers.rules import parse_amount, parse_when
from callcenter.customers.service import CustomerService, value_params
from callcenter.db import Database
from callcenter.settings import Settings

CUSTOMER_REQUIRED = ("name", "phone", "email")
CUSTOMER_OPTIONAL = ("company", "language", "timezone", "segment", "notes", "notes_important", "dedicated_agent")
ORDER_CUSTOMER = ("customer_id", "customer_phone", "customer_email")
ORDER_COLUMNS = (*ORDER_CUSTOMER, "at", "amount", "external_id")
_PHONE_COLUMN = re.compile(r"^phone(\d*)$")
_YES = {"1", "true", "yes", "y", "是"}
_NO = {"", "0", "false", "no", "n", "否"}


@dataclass(frozen=True)
class RowProblem:
    """Why one row (by line number in the file) was not stored."""

    line: int
    field: str
    reason: str


@dataclass
class ImportReport:
    """What an import did: counts, every refused row with its line, field and reason, and warnings."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    stored: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as text, one finding a line."""
        if self.kind == "customers":
            head = f"{self.rows} rows: {self.created} customers created, {self.updated} updated"
        else:
            head = f"{self.rows} rows: {self.stored} orders stored"
        refused = len({p.line for p in self.problems})
        found = sorted(self.warnings + self.problems, key=lambda p: p.line)
        return [f"{head}, {refused} refused", *(f"line {p.line}: {p.field}: {p.reason}" for p in found)]


@dataclass(frozen=True)
class _Row:
    line: int
    cells: dict[str, str]


async def _read(
    path: Path, report: ImportReport, required: tuple[str, ...], known: set[str], one_of: tuple[str, ...] = ()
) -> list[_Row]:
    """Rows of a CSV file keyed by lower-case column name; problems with the file itself go in the report."""
    data = await asyncio.to_thread(path.read_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        report.problems.append(RowProblem(data[: err.start].count(b"\n") + 1, "file", "not UTF-8 text"))
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in required if c not in header]
    if one_of and not set(one_of) & set(header):
        missing.append(" or ".join(one_of))
    if missing:
        report.problems.append(RowProblem(1, "header", f"missing column(s): {', '.join(missing)}"))
        return []
    for name in header:
        if name not in known and not _PHONE_COLUMN.match(name):
            report.warnings.append(RowProblem(1, name or "header", "unknown column, ignored"))
    rows = []
    end = reader.line_num
    for cells in reader:
        start, end = end + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        report.rows += 1
        if len(cells) > len(header):
            report.problems.append(RowProblem(start, "row", f"{len(cells)} cells but {len(header)} columns"))
            continue
        rows.append(_Row(start, {h: c.strip() for h, c in zip(header, cells, strict=False) if h}))
    return rows


def _tally(report: ImportReport, results: list[ItemResult], columns: dict[int, dict[str, str]]) -> None:
    for result in results:
        if result.action == "created":
            report.created += 1
        elif result.action == "updated":
            report.updated += 1
        elif result.action == "stored":
            report.stored += 1
        names = columns.get(result.index, {})
        for problem in result.errors:
            key = ".".join(str(part) for part in problem.loc)
            report.problems.append(RowProblem(result.index, names.get(key, key), problem.msg))


async def import_customers_csv(service: CustomerService, path: Path, region: str | None = None) -> ImportReport:
    """Import customers from a CSV file; see the module docstring for columns and the update rule."""
    report = ImportReport("customers")
    rows = await _read(path, report, CUSTOMER_REQUIRED, {*CUSTOMER_REQUIRED, *CUSTOMER_OPTIONAL})
    agents = await service.agent_ids(sorted({r.cells.get("dedicated_agent", "") for r in rows} - {""}))
    items: list[tuple[int, CustomerDraft]] = []
    columns: dict[int, dict[str, str]] = {}
    for row in rows:
        cells = row.cells
        phone_columns = sorted((c for c in cells if _PHONE_COLUMN.match(c) and cells[c]),
                               key=lambda c: int(c[5:] or 1))
        columns[row.line] = {f"phones.{i}": c for i, c in enumerate(phone_columns)}
        columns[row.line]["dedicated_agent_id"] = "dedicated_agent"
        agent = cells.get("dedicated_agent") or None
        important = cells.get("notes_important", "").lower()
        if agent and agent not in agents:
            report.problems.append(RowProblem(row.line, "dedicated_agent", "no enabled user has this username"))
            continue
        if important not in _YES | _NO:
            report.problems.append(RowProblem(row.line, "notes_important", "yes or no"))
            continue
        items.append((row.line, CustomerDraft(
            name=cells.get("name", ""), phones=tuple(PhoneDraft(cells[c]) for c in phone_columns),
            email=cells.get("email") or None, company=cells.get("company") or None,
            language=cells.get("language") or None, timezone=cells.get("timezone") or None,
            segment=cells.get("segment") or None, notes=cells.get("notes") or None,
            notes_important=True if important in _YES else None,
            dedicated_agent_id=agents[agent] if agent else None,
        )))
    _tally(report, await service.bulk_upsert(SYSTEM, items, region), columns)
    report.problems.sort(key=lambda p: p.line)
    return report


def _order(row: _Row) -> OrderDraft | RowProblem:
    cells = row.cells
    try:
        at_ms = parse_when(cells.get("at", ""))
    except ValueError as err:
        return RowProblem(row.line, "at", str(err))
    try:
        amount = parse_amount(cells.get("amount", ""))
    except ValueError as err:
        return RowProblem(row.line, "amount", str(err))
    customer_id = cells.get("customer_id") or None
    if customer_id is not None and not customer_id.isdigit():
        return RowProblem(row.line, "customer_id", "not a customer id")
    return OrderDraft(
        at_ms, amount, int(customer_id) if customer_id else None, cells.get("customer_phone") or None,
        cells.get("customer_email") or None, cells.get("external_id") or None,
    )


async def import_orders_csv(service: CustomerService, path: Path, region: str | None = None) -> ImportReport:
    """Import orders from a CSV file (then customer value is recomputed); see the module docstring."""
    report = ImportReport("orders")
    rows = await _read(path, report, ("at", "amount"), set(ORDER_COLUMNS), ORDER_CUSTOMER)
    items: list[tuple[int, OrderDraft]] = []
    for row in rows:
        draft = _order(row)
        if isinstance(draft, RowProblem):
            report.problems.append(draft)
        else:
            items.append((row.line, draft))
    _tally(report, await service.bulk_orders(SYSTEM, items, region), {})
    report.problems.sort(key=lambda p: p.line)
    return report


async def run_import(
    settings: Settings, kind: Literal["customers", "orders"], path: Path, region: str | None = None
) -> ImportReport:
    """For the command line: open the database, import one file, recompute customer value, report."""
    db = Database(settings.database_url)
    await db.connect()
    try:
        await db.migrate()
        clock = SystemClock()
        service = CustomerService(db, clock, settings.default_region, value_params(settings))
        importer = import_customers_csv if kind == "customers" else import_orders_csv
        report = await importer(service, path, region)
        if kind == "customers":  # orders recompute as part of their import
            await service.recompute_values(clock.now_ms())
    finally:
        await db.close()
    return report
