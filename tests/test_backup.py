import asyncio
import sqlite3
from pathlib import Path

import pytest

from callcenter.backup import BackupError, backup, restore
from callcenter.cli import main
from callcenter.db import Database, ServerLock
from callcenter.settings import Settings


async def _write(db: Database, start: int, count: int) -> None:
    for i in range(start, start + count):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES (?, 'ip', ?, TRUE)",
                               (f"u{i}", i))


async def test_backup_while_writing_then_restore(db: Database, settings: Settings, tmp_path: Path) -> None:
    source = settings.sqlite_path()
    assert source is not None
    await _write(db, 0, 200)
    target = tmp_path / "backups" / "cc.db"
    writer = asyncio.create_task(_write(db, 200, 300))
    await backup(source, target)
    await writer
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        copied = copy.execute("SELECT COUNT(*) FROM login_attempts").fetchone()[0]
    # Everything committed before the backup started is in it; later writes may or may not be.
    assert 200 <= copied <= 500

    await db.close()
    restored = tmp_path / "restored.db"
    await restore(target, restored)
    with sqlite3.connect(restored) as conn:
        assert conn.execute("SELECT COUNT(*) FROM login_attempts").fetchone()[0] == copied
    await db.connect()  # the fixture closes it again


async def test_restore_refuses_a_running_servers_file(db: Database, settings: Settings, tmp_path: Path) -> None:
    source = settings.sqlite_path()
    assert source is not None
    await backup(source, tmp_path / "b.db")
    lock = ServerLock(source)
    assert lock.acquire()
    try:
        with pytest.raises(BackupError, match="server is running"):
            await restore(tmp_path / "b.db", source)
    finally:
        lock.release()


async def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(BackupError):
        await restore(junk, tmp_path / "cc.db")
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(BackupError, match="not a callcenter database"):
        await restore(empty, tmp_path / "cc.db")
    assert not (tmp_path / "cc.db").exists()


def test_cli_create_user_backup_and_restore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CALLCENTER_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("CALLCENTER_ARGON2_MEMORY_KIB", "1024")
    assert main(["create-user", "--username", "emma", "--password", "long-enough-pw", "--role", "agent"]) == 0
    assert main(["create-user", "--username", "emma", "--password", "long-enough-pw", "--role", "agent"]) == 2
    assert "username taken" in capsys.readouterr().err
    assert main(["backup", str(tmp_path / "b.db")]) == 0
    assert main(["restore", str(tmp_path / "b.db")]) == 0
    assert main(["restore", str(tmp_path / "missing.db")]) == 2
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        assert conn.execute("SELECT username, role FROM users").fetchall() == [("emma", "agent")]
