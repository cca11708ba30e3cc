"""The database engine tests run on: a SQLite file per test, or an empty PostgreSQL database per test.

``CALLCENTER_TEST_DATABASE_URL`` (a PostgreSQL URL, usually of its ``postgres`` database) selects
PostgreSQL; scripts/pg_local.py starts a throwaway cluster and sets it. The schema is migrated
once into a template database, and a few copies of it (``CREATE DATABASE … TEMPLATE``) serve the
whole session: after each test, on a background thread, the connections its database still has
are cut, every table but ``schema_migrations`` is emptied, the rows the migrations insert are put
back and every sequence is set to where the template has it, and the database goes back to the
ready queue. A test gets a freshly migrated database, exactly as a new SQLite file; copying one
per test instead costs a file per table and index (several hundred) and takes 0.1-0.5 s. One test
directory (``tmp_path``) names one database, as it names one SQLite file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from callcenter.db import Database

ENV = "CALLCENTER_TEST_DATABASE_URL"
BASE_URL = os.environ.get(ENV) or None
POSTGRES = BASE_URL is not None
SPARE = 2  # copies made at the start, before any test asks


def database_url(tmp_path: Path | str) -> str:
    """The database URL for a test directory: the same directory always names the same database."""
    if BASE_URL is None:
        return f"sqlite:///{tmp_path}/cc.db"
    return _pool().url_for(str(tmp_path))


def release() -> None:
    """Empty (in the background) the databases handed out so far, for later tests: theirs is over."""
    if _databases is not None:
        _databases.release()


def shutdown() -> None:
    """Drop every database this session made."""
    global _databases
    if _databases is not None:
        _databases.shutdown()
        _databases = None


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


class _Reset:
    """How to bring a used copy back to the template's state: its rows and sequences as migrated."""

    def __init__(self, deletes: str, seeds: list[tuple[str, list[str], list[Any]]], sequences: str) -> None:
        self.deletes = deletes
        self.seeds = seeds
        self.sequences = sequences

    @classmethod
    async def of_template(cls, conn: asyncpg.Connection) -> _Reset:
        """Read the template: tables in foreign-key order, the rows migrations put there, the sequences."""
        tables = {r["t"] for r in await conn.fetch(
            "SELECT relname AS t FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
            " AND relname <> 'schema_migrations'")}
        parents: dict[str, set[str]] = {t: set() for t in tables}
        for r in await conn.fetch(
                "SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k JOIN pg_class c"
                " ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid WHERE k.contype = 'f'"
                " AND k.connamespace = 'public'::regnamespace"):
            if r["child"] != r["parent"] and r["child"] in parents:
                parents[r["child"]].add(r["parent"])
        children_first: list[str] = []
        while parents:
            # A table no remaining table refers to can be emptied now.
            free = sorted(t for t in parents if not any(t in ps for ps in parents.values()))
            if not free:
                raise RuntimeError(f"foreign keys form a cycle among {sorted(parents)}")
            children_first += free
            for t in free:
                del parents[t]
        seeds = []
        for table in reversed(children_first):
            rows = await conn.fetch(f'SELECT * FROM "{table}"')
            if rows:
                seeds.append((table, list(rows[0].keys()), [tuple(r) for r in rows]))
        sequences = [
            f"SELECT setval('{r['s']}', {r['v']}, true)" if r["v"] is not None
            else f"SELECT setval('{r['s']}', {r['start']}, false)"
            for r in await conn.fetch("SELECT format('%I.%I', schemaname, sequencename) AS s, last_value AS v,"
                                      " start_value AS start FROM pg_sequences WHERE schemaname = 'public'")
        ]
        return cls("; ".join(f'DELETE FROM "{t}"' for t in children_first), seeds, "; ".join(sequences))

    async def apply(self, conn: asyncpg.Connection) -> None:
        """Empty every table (DELETE: no new files, unlike TRUNCATE), put the seeded rows back, reset sequences."""
        async with conn.transaction():
            await conn.execute(self.deletes)
            for table, columns, records in self.seeds:
                await conn.copy_records_to_table(table, records=records, columns=columns, schema_name="public")
            if self.sequences:
                await conn.execute(self.sequences)


class _Databases:
    """The template, its copies and their reset, run on a thread with its own event loop."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.prefix = f"cct_{os.getpid()}_{secrets.token_hex(3)}"
        self.template = f"{self.prefix}_tpl"
        self.by_key: dict[str, str] = {}
        self.handed: list[str] = []
        self.made: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-databases", daemon=True)
        self.thread.start()
        try:
            self._call(self._start())
        except BaseException:
            with contextlib.suppress(Exception):
                self._call(self._abandon())
            self._end_loop()
            raise

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    async def _abandon(self) -> None:
        if hasattr(self, "admin"):
            await self.admin.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
            await self.admin.close()

    async def _start(self) -> None:
        self.admin = await asyncpg.connect(self.base)
        await self.admin.execute(f'CREATE DATABASE "{self.template}"')
        db = Database(_with_database(self.base, self.template))
        await db.connect()
        try:
            await db.migrate()
        finally:
            await db.close()
        conn = await asyncpg.connect(_with_database(self.base, self.template))
        try:
            self.reset = await _Reset.of_template(conn)
        finally:
            await conn.close()
        self.ready: asyncio.Queue[str] = asyncio.Queue()
        self.dirty: asyncio.Queue[str] = asyncio.Queue()
        self.pending = 0  # handed back, not yet emptied
        self.failed = RuntimeError("no failure")
        for _ in range(SPARE):
            await self.ready.put(await self._copy())
        self.cleaner = asyncio.create_task(self._clean())

    async def _copy(self) -> str:
        name = f"{self.prefix}_{len(self.made) + 1}"
        self.made.append(name)
        # FILE_COPY (PostgreSQL 15's old default) is faster than its new WAL_LOG for a small database.
        strategy = " STRATEGY FILE_COPY" if self.admin.get_server_version().major >= 15 else ""
        await self.admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"{strategy}')
        return name

    def _dirty(self, name: str) -> None:
        self.pending += 1
        self.dirty.put_nowait(name)

    async def _clean(self) -> None:
        while True:
            name = await self.dirty.get()
            try:
                await self._empty(name)
            except Exception as err:  # a waiting test gets the error instead of waiting for ever
                self.failed = RuntimeError(f"could not empty test database {name}: {err!r}")
                name = ""
            self.pending -= 1
            self.ready.put_nowait(name)

    async def _empty(self, name: str) -> None:
        conn = await asyncpg.connect(_with_database(self.base, name))
        try:
            # A test that left a connection open (or a transaction) does not keep its rows alive.
            await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                               " WHERE datname = current_database() AND pid <> pg_backend_pid()")
            await self.reset.apply(conn)
        finally:
            await conn.close()

    async def _take(self) -> str:
        if self.ready.empty() and self.pending == 0:
            return await self._copy()  # none will come back: every database is in use
        name = await self.ready.get()
        if not name:
            raise self.failed
        return name

    def url_for(self, key: str) -> str:
        name = self.by_key.get(key)
        if name is None:
            name = self._call(self._take())
            self.by_key[key] = name
            self.handed.append(name)
        return _with_database(self.base, name)

    def release(self) -> None:
        names, self.handed = self.handed, []
        self.by_key.clear()
        for name in names:
            self.loop.call_soon_threadsafe(self._dirty, name)

    async def _stop(self) -> None:
        self.cleaner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.cleaner
        for name in [*self.made, self.template]:
            await self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await self.admin.close()

    def shutdown(self) -> None:
        self.release()
        self._call(self._stop())
        self._end_loop()

    def _end_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


_databases: _Databases | None = None
_failed: str | None = None  # why the server could not be used: every later test says so at once
_lock = threading.Lock()


def _pool() -> _Databases:
    global _databases, _failed
    with _lock:
        if _failed is not None:
            raise RuntimeError(_failed)
        if _databases is None:
            assert BASE_URL is not None
            try:
                _databases = _Databases(BASE_URL)
            except Exception as err:
                _failed = f"no test database: {ENV}={BASE_URL} did not work: {err!r}"
                raise RuntimeError(_failed) from err
        return _databases
