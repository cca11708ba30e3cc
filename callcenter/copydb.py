"""``callcenter copy-db``: copy every row of one database into a new one (SQLite to PostgreSQL, mostly).

The target is migrated first and must hold nothing but what migrations put there. Tables are
copied parents before children, in batches read by primary key from one snapshot of the source,
all in one transaction on the target: a copy that fails leaves the target as it found it. Ids are
kept; PostgreSQL's identity sequences then start past the largest copied id. Before committing,
each table's row count on the target is checked against the source's.

Stop the servers first: a copy is a snapshot, and writes made after it are not in the target.
"""

# ruff: noqa: S608 - table and column names come from the databases' own catalogs, quoted by ``quote``;
# every value is a parameter.
from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from callcenter.copyschema import Table, fk_order, quote, read_schema
from callcenter.db import Conn, Database, ServerLock, load_migrations, split_sql

BATCH = 1000
# Opens a snapshot of the source on a connection outside any transaction; ended with ROLLBACK.
SNAPSHOT = {"sqlite": "BEGIN", "postgresql": "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"}


class CopyError(Exception):
    """The copy could not be made, or did not come out whole; the message says why."""


def redact(url: str) -> str:
    """A database URL without its password, fit to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


class Progress:
    """A text progress bar on a terminal, or one line per table elsewhere (a log keeps every line)."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO | None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream
        self.tty = stream is not None and stream.isatty()
        self._drawn = 0.0

    def advance(self, table: str, rows: int) -> None:
        """Count rows copied; redraw the bar at most ten times a second."""
        self.done += rows
        now = time.monotonic()
        if self.tty and now - self._drawn >= 0.1:
            self._drawn = now
            self._write(f"\r{self._bar()} {table:<24}")

    def table_done(self, table: str, rows: int) -> None:
        """A table is copied."""
        if not self.tty:
            self._write(f"{self._bar()} {table}: {rows} rows\n")

    def finish(self) -> None:
        """End the bar's line."""
        if self.tty:
            self._write(f"\r{self._bar()} {'':<24}\n")

    def _bar(self) -> str:
        share = self.done / self.total if self.total else 1.0
        filled = round(share * self.WIDTH)
        return f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%} {self.done}/{self.total} rows"

    def _write(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(text)
            self.stream.flush()


@dataclass(frozen=True)
class CopyReport:
    """What was copied: rows per table, in the order they were copied."""

    rows: dict[str, int]

    @property
    def total(self) -> int:
        """Rows copied in all."""
        return sum(self.rows.values())


async def copy_database(source_url: str, target_url: str, *, batch: int = BATCH,
                        progress: TextIO | None = None) -> CopyReport:
    """Copy every table of ``source_url`` into ``target_url`` (migrated here, and refused unless empty)."""
    if batch < 1:
        raise CopyError("batch must be at least 1")
    source, target = Database(source_url), Database(target_url)
    with _held(source), _held(target):
        if source.path is not None and not source.path.exists():
            raise CopyError(f"no database at {source.path}")
        try:
            await source.connect()
            try:
                await target.connect()
                try:
                    await target.migrate()
                    return await _copy(source, target, batch, progress)
                finally:
                    await target.close()
            finally:
                await source.close()
        except (asyncpg.PostgresError, sqlite3.Error) as err:
            raise CopyError(f"{type(err).__name__}: {err} (nothing was committed)") from err


class _held:
    """The server lock of a SQLite file for the length of the copy: no server may write to either side."""

    def __init__(self, db: Database) -> None:
        self.lock = ServerLock(db.path) if db.path is not None else None
        self.path: Path | None = db.path

    def __enter__(self) -> None:
        if self.lock is not None and not self.lock.acquire():
            raise CopyError(f"a server is using {self.path}; stop it first")

    def __exit__(self, *exc: object) -> None:
        if self.lock is not None:
            self.lock.release()


async def _copy(source: Database, target: Database, batch: int, progress: TextIO | None) -> CopyReport:
    async with target.read() as dst:
        tables = await read_schema(dst)
    tables.pop("schema_migrations")  # each side keeps its own
    try:
        order = fk_order(tables)
    except ValueError as err:
        raise CopyError(str(err)) from err
    async with source.read() as src:
        source_tables = await read_schema(src)
        if "schema_migrations" not in source_tables:
            raise CopyError(f"{redact(source.url)} is not a callcenter database (no schema_migrations table)")
        await _same_schema(src, source_tables, target, tables)
        fresh = await asyncio.to_thread(_seeded_rows, tables)
        await _refuse_data(target, tables, order, fresh)
        await src.execute(SNAPSHOT[source.dialect])
        try:
            counts = {name: int(await src.fetchval(f"SELECT COUNT(*) FROM {quote(name)}")) for name in order}
            bar = Progress(sum(counts.values()), progress)
            copied: dict[str, int] = {}
            async with target.transaction() as dst:
                dropped = await _suspend_self_references(dst, order)
                for name in reversed(order):  # rows migrations seeded make way for the source's
                    if fresh.get(name):
                        await dst.execute(f"DELETE FROM {quote(name)}")
                for name in order:
                    copied[name] = await _copy_table(src, dst, tables[name], batch, bar)
                    bar.table_done(name, copied[name])
                await _restore_self_references(dst, dropped)
                await _reset_identities(dst, tables, order)
                await _check_counts(dst, order, counts, copied)
            bar.finish()
        finally:
            await src.execute("ROLLBACK")  # the snapshot only read
    return CopyReport(copied)


async def _same_schema(src: Conn, source_tables: dict[str, Table], target: Database,
                       tables: dict[str, Table]) -> None:
    """Both sides must be at the same migration, so that every table and column has its twin."""
    have = {r["version"] for r in await src.fetchall("SELECT version FROM schema_migrations")}
    want = {r["version"] for r in await target.fetchall("SELECT version FROM schema_migrations")}
    if have - want:
        raise CopyError(f"the source has migrations this version of callcenter does not know ({sorted(have - want)}):"
                        " copy it with the version that wrote it")
    if want - have:
        raise CopyError(f"the source lacks migrations {sorted(want - have)}: run `callcenter migrate` against it"
                        " first")
    for name, table in tables.items():
        twin = source_tables.get(name)
        if twin is None or set(twin.columns) != set(table.columns):
            raise CopyError(f"table {name} differs between the source and the target")


def _seeded_rows(tables: dict[str, Table]) -> dict[str, set[tuple[Any, ...]]]:
    """The rows migrations alone put in each table: they run here on a database in memory."""
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        for _version, _name, script in load_migrations():
            for statement in split_sql(script):
                conn.execute(statement)
        return {name: set(conn.execute(f"SELECT {_columns(t)} FROM {quote(name)}")) for name, t in tables.items()}


async def _refuse_data(target: Database, tables: dict[str, Table], order: list[str],
                       fresh: dict[str, set[tuple[Any, ...]]]) -> None:
    """Refuse a target holding any row that migrations did not put there."""
    full = []
    for name in order:
        seeded = fresh.get(name, set())
        rows = await target.fetchall(f"SELECT {_columns(tables[name])} FROM {quote(name)} LIMIT ?", (len(seeded) + 1,))
        if any(_plain(r) not in seeded for r in rows):
            full.append(name)
    if full:
        raise CopyError(f"the target already holds data ({', '.join(full)}); copy-db fills a new, empty database"
                        " only")


async def _copy_table(src: Conn, dst: Conn, table: Table, batch: int, bar: Progress) -> int:
    """Copy one table in batches read in primary-key order; return the rows written."""
    columns = _columns(table)
    key = ", ".join(quote(c) for c in table.key)
    marks = ", ".join("?" * len(table.key))
    after = f"({key}) > ({marks})" if len(table.key) > 1 else f"{key} > ?"
    name = quote(table.name)
    first = f"SELECT {columns} FROM {name} ORDER BY {key} LIMIT ?"
    rest = f"SELECT {columns} FROM {name} WHERE {after} ORDER BY {key} LIMIT ?"
    insert = f"INSERT INTO {name} ({columns}) VALUES ({', '.join('?' * len(table.columns))})"
    convert = _converters(dst.dialect, table)
    written = 0
    last: tuple[Any, ...] | None = None
    while True:
        rows = await (src.fetchall(first, (batch,)) if last is None else src.fetchall(rest, (*last, batch)))
        if not rows:
            return written
        await dst.executemany(insert, [tuple(f(r[c]) for c, f in zip(table.columns, convert, strict=True))
                                       for r in rows])
        written += len(rows)
        bar.advance(table.name, len(rows))
        last = tuple(rows[-1][c] for c in table.key)
        if len(rows) < batch:
            return written


def _converters(dialect: str, table: Table) -> list[Callable[[Any], Any]]:
    """Per column, how a source value becomes a target value: SQLite keeps booleans as 0 and 1."""
    def keep(value: Any) -> Any:
        return value

    def boolean(value: Any) -> Any:
        return value if value is None else bool(value)

    def real(value: Any) -> Any:
        return value if value is None else float(value)

    if dialect != "postgresql":
        return [keep] * len(table.columns)
    by_type = {"boolean": boolean, "double precision": real, "real": real}
    return [by_type.get(table.types[c], keep) for c in table.columns]


async def _suspend_self_references(dst: Conn, order: list[str]) -> list[tuple[str, str, str]]:
    """Let a table's rows refer to rows of the same table copied after them (a queue overflowing to a later one).

    SQLite defers every foreign key check to the commit. PostgreSQL's keys are not deferrable:
    the self-references are dropped here and added back, checked in full, by the same transaction.
    Returns what ``_restore_self_references`` adds back.
    """
    if dst.dialect != "postgresql":
        await dst.execute("PRAGMA defer_foreign_keys = ON")
        return []
    dropped = []
    for name in order:
        for row in await dst.fetchall(
                "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
                " WHERE contype = 'f' AND conrelid = to_regclass(?) AND confrelid = conrelid", (quote(name),)):
            dropped.append((name, row["conname"], row["definition"]))
            await dst.execute(f"ALTER TABLE {quote(name)} DROP CONSTRAINT {quote(row['conname'])}")
    return dropped


async def _restore_self_references(dst: Conn, dropped: list[tuple[str, str, str]]) -> None:
    for name, constraint, definition in dropped:
        await dst.execute(f"ALTER TABLE {quote(name)} ADD CONSTRAINT {quote(constraint)} {definition}")


async def _reset_identities(dst: Conn, tables: dict[str, Table], order: list[str]) -> None:
    """PostgreSQL's identity sequences continue past the largest id copied (SQLite's rowids do by themselves)."""
    if dst.dialect != "postgresql":
        return
    for name in order:
        for column in tables[name].identity:
            await dst.execute(
                f"SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX({quote(column)})"
                f" FROM {quote(name)}), 0) + 1, false)", (quote(name), column))


async def _check_counts(dst: Conn, order: list[str], counts: dict[str, int], copied: dict[str, int]) -> None:
    """Every table holds as many rows as the source's: otherwise nothing is committed."""
    wrong = []
    for name in order:
        have = int(await dst.fetchval(f"SELECT COUNT(*) FROM {quote(name)}"))
        if have != counts[name] or copied[name] != counts[name]:
            wrong.append(f"{name}: source {counts[name]}, read {copied[name]}, target {have}")
    if wrong:
        raise CopyError("row counts differ, nothing was committed: " + "; ".join(wrong))


def _columns(table: Table) -> str:
    return ", ".join(quote(c) for c in table.columns)


def _plain(row: dict[str, Any]) -> tuple[Any, ...]:
    """A row as a comparable tuple, booleans as SQLite's integers."""
    return tuple(_flat(row.values()))


def _flat(values: Any) -> Iterator[Any]:
    for value in values:
        yield int(value) if isinstance(value, bool) else value
