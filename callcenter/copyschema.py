"""What ``copy-db`` needs to know of a database's tables, read from the engine's own catalog."""

from __future__ import annotations

from dataclasses import dataclass, field

from callcenter.db import Conn


@dataclass(frozen=True)
class Table:
    """One table: its columns in order, their types, its primary key and the tables it refers to."""

    name: str
    columns: tuple[str, ...]
    types: dict[str, str] = field(hash=False)  # column → lower-case type name
    key: tuple[str, ...]
    parents: frozenset[str]  # other tables its foreign keys point to
    identity: tuple[str, ...] = ()  # PostgreSQL identity columns


async def read_schema(conn: Conn) -> dict[str, Table]:
    """Every table of the database, by name."""
    if conn.dialect == "postgresql":
        return await _postgres(conn)
    return await _sqlite(conn)


async def _sqlite(conn: Conn) -> dict[str, Table]:
    names = [r["name"] for r in await conn.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")]
    tables = {}
    for name in names:
        info = await conn.fetchall('SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid', (name,))
        key = tuple(r["name"] for r in sorted((r for r in info if r["pk"]), key=lambda r: r["pk"]))
        parents = {r["table"] for r in await conn.fetchall('SELECT "table" FROM pragma_foreign_key_list(?)', (name,))}
        tables[name] = Table(name, tuple(r["name"] for r in info), {r["name"]: r["type"].lower() for r in info},
                             key, frozenset(parents - {name}))
    return tables


async def _postgres(conn: Conn) -> dict[str, Table]:
    columns: dict[str, list[tuple[str, str, bool]]] = {}
    for r in await conn.fetchall(
            "SELECT c.table_name AS t, c.column_name AS col, c.data_type AS type, c.is_identity AS ident"
            " FROM information_schema.columns c JOIN information_schema.tables t"
            " ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
            " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
            " ORDER BY c.table_name, c.ordinal_position"):
        columns.setdefault(r["t"], []).append((r["col"], r["type"], r["ident"] == "YES"))
    keys: dict[str, list[str]] = {}
    for r in await conn.fetchall(
            "SELECT con.conrelid::regclass::text AS t, a.attname AS col FROM pg_constraint con"
            " CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)"
            " JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum"
            " WHERE con.contype = 'p' AND con.connamespace = current_schema()::regnamespace"
            " ORDER BY 1, k.ord"):
        keys.setdefault(_unquote(r["t"]), []).append(r["col"])
    parents: dict[str, set[str]] = {}
    for r in await conn.fetchall(
            "SELECT con.conrelid::regclass::text AS child, con.confrelid::regclass::text AS parent"
            " FROM pg_constraint con WHERE con.contype = 'f' AND con.connamespace = current_schema()::regnamespace"):
        parents.setdefault(_unquote(r["child"]), set()).add(_unquote(r["parent"]))
    return {
        name: Table(name, tuple(c for c, _, _ in cols), {c: t.lower() for c, t, _ in cols},
                    tuple(keys.get(name, ())), frozenset(parents.get(name, set()) - {name}),
                    tuple(c for c, _, ident in cols if ident))
        for name, cols in columns.items()
    }


def quote(name: str) -> str:
    """An identifier quoted for SQL (both engines take double quotes)."""
    return '"' + name.replace('"', '""') + '"'


def _unquote(regclass: str) -> str:
    return regclass[1:-1].replace('""', '"') if regclass.startswith('"') else regclass


def fk_order(tables: dict[str, Table]) -> list[str]:
    """Table names, each after every table it refers to (a table's references to itself aside)."""
    left = {name: set(t.parents) & tables.keys() for name, t in tables.items()}
    order: list[str] = []
    while left:
        ready = sorted(name for name, parents in left.items() if not parents)
        if not ready:
            raise ValueError(f"foreign keys form a cycle among {sorted(left)}")
        order += ready
        for name in ready:
            del left[name]
        for parents in left.values():
            parents.difference_update(ready)
    return order
