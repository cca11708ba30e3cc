#!/usr/bin/env python3
"""A throwaway PostgreSQL cluster for the test suite: initdb in a temp dir, serve on 127.0.0.1, delete after.

    python scripts/pg_local.py -- .venv/bin/pytest -q tests/accounts   # run a command against it
    python scripts/pg_local.py                                         # print the URL, serve until Ctrl+C

The command gets ``CALLCENTER_TEST_DATABASE_URL`` set to the cluster's ``postgres`` database, which
the test fixtures use as their base (tests/backend.py). Binaries are found on PATH, in
``$CALLCENTER_PG_BIN``, or in Debian's ``/usr/lib/postgresql/<version>/bin``. PostgreSQL refuses
to run as root, so as root the cluster belongs to the ``postgres`` user (or ``nobody``).
The cluster trades durability for speed (``fsync=off``): it holds nothing worth keeping.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ENV = "CALLCENTER_TEST_DATABASE_URL"
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "128MB",
    "log_min_messages": "warning",
}


def find_bin() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None when PostgreSQL is not installed."""
    candidates: list[Path] = []
    if os.environ.get("CALLCENTER_PG_BIN"):
        candidates.append(Path(os.environ["CALLCENTER_PG_BIN"]))
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)

    def version(p: Path) -> int:
        return int(p.parent.name) if p.parent.name.isdigit() else 0

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for directory in candidates:
        if all((directory / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _owner() -> pwd.struct_passwd | None:
    """The user to run the cluster as: None to run as ourselves, else an unprivileged account."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root and there is neither a postgres nor a nobody user to run PostgreSQL as")


def _run(cmd: list[str], owner: pwd.struct_passwd | None) -> None:
    as_owner: dict[str, Any] = {}
    if owner is not None:
        as_owner = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd="/", **as_owner)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])} failed:\n{result.stdout}{result.stderr}")


@contextlib.contextmanager
def local_postgres(bindir: Path) -> Iterator[str]:
    """Start a fresh cluster; yield the URL of its ``postgres`` database; stop and delete it on exit."""
    owner = _owner()
    data = Path(tempfile.mkdtemp(prefix="cc-pg-"))
    try:
        if owner is not None:
            os.chown(data, owner.pw_uid, owner.pw_gid)
        _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
              "--locale=C", "--no-sync"], owner)
        with (data / "postgresql.conf").open("a") as conf:
            for key, value in {**SETTINGS, "unix_socket_directories": str(data)}.items():
                conf.write(f"{key} = '{value}'\n")
        port = _start(bindir, data, owner)
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], owner)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _start(bindir: Path, data: Path, owner: pwd.struct_passwd | None) -> int:
    """Start the server on a free port (another process may take the one picked: try a few)."""
    for attempt in range(5):
        port = _free_port()
        try:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-o", f"-p {port}",
                  "-w", "-t", "60", "start"], owner)
            return port
        except RuntimeError:
            log = (data / "server.log").read_text(errors="replace") if (data / "server.log").exists() else ""
            if attempt == 4 or not re.search(r"could not bind|already in use", log):
                raise RuntimeError(f"PostgreSQL did not start:\n{log[-2000:]}") from None
    raise AssertionError("unreachable")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    """Run a command (after ``--``) against a throwaway cluster, or serve until interrupted."""
    bindir = find_bin()
    if bindir is None:
        print("pg_local: PostgreSQL is not installed (no initdb/pg_ctl/postgres found)", file=sys.stderr)
        return 3
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    # Stopped by a signal (even one started in the background, where SIGINT is ignored), it still
    # stops the cluster and deletes it.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    with local_postgres(bindir) as url:
        if command:
            try:
                return subprocess.run(command, env={**os.environ, ENV: url}, check=False).returncode
            except KeyboardInterrupt:
                return 130
        print(f"{ENV}={url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
