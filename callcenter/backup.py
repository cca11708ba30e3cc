"""SQLite online backup while serving, and a restore that refuses a running server's file.

PostgreSQL has its own tools for both (pg_dump, pg_restore); on it these commands say so and stop.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from pathlib import Path

from callcenter.db import ServerLock


class BackupError(Exception):
    """A backup or restore could not be done; the message says why."""


def _integrity(path: Path) -> str:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        result = conn.execute("PRAGMA integrity_check").fetchone()
        tables = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'").fetchone()
    if not tables or tables[0] != 1:
        return "not a callcenter database (no schema_migrations table)"
    return str(result[0]) if result else "no answer"


def _backup(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(partial) as dst:
        # Pages copied in steps so a busy server is never blocked for long; WAL readers see a
        # consistent snapshot while the server keeps writing.
        src.backup(dst, pages=256, sleep=0.005)
    check = _integrity(partial)
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {check}")
    os.replace(partial, target)


async def backup(source: Path | None, target: Path) -> None:
    """Copy the live database to ``target`` (atomically: a partial copy never has the final name)."""
    if source is None:
        raise BackupError("backup copies a SQLite file; back PostgreSQL up with pg_dump, for example"
                          " pg_dump --format=custom --file=FILE \"$CALLCENTER_DATABASE_URL\" (docs/STORAGE.md)")
    if not await asyncio.to_thread(source.exists):
        raise BackupError(f"no database at {source}")
    await asyncio.to_thread(_backup, source, target)


def _restore(backup_file: Path, target: Path) -> None:
    check = _integrity(backup_file)
    if check != "ok":
        raise BackupError(f"{backup_file} failed its integrity check: {check}")
    lock = ServerLock(target)
    if not lock.acquire():
        raise BackupError(f"a server is running on {target}; stop it before restoring")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(target.name + ".restoring")
        shutil.copyfile(backup_file, staged)
        for suffix in ("-wal", "-shm"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        os.replace(staged, target)
    finally:
        lock.release()


async def restore(backup_file: Path, target: Path | None) -> None:
    """Replace the database with a checked backup, unless a server holds it."""
    if target is None:
        raise BackupError("restore replaces a SQLite file; restore PostgreSQL with pg_restore, servers stopped, for"
                          " example pg_restore --clean --if-exists --dbname=\"$CALLCENTER_DATABASE_URL\" FILE"
                          " (docs/STORAGE.md)")
    if not await asyncio.to_thread(backup_file.exists):
        raise BackupError(f"no backup at {backup_file}")
    try:
        await asyncio.to_thread(_restore, backup_file, target)
    except sqlite3.DatabaseError as err:
        raise BackupError(f"{backup_file} is not a usable SQLite database: {err}") from err
