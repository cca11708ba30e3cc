#!/usr/bin/env python3
"""Run the whole suite in stages (lint, types, tests, benchmark smoke runs), printing each stage's time.

The tests run on SQLite, then again on PostgreSQL (without the browser tests) against a throwaway
local cluster (scripts/pg_local.py) when PostgreSQL is installed, or against
``CALLCENTER_TEST_DATABASE_URL`` when that is set. Without either, the PostgreSQL run is skipped
and says so; ``CALLCENTER_REQUIRE_POSTGRES=1`` makes that a failure (CI sets it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "scripts"))
from pg_local import ENV as PG_ENV  # noqa: E402
from pg_local import find_bin, local_postgres  # noqa: E402


def stage(name: str, cmd: list[str], env: dict[str, str] | None = None) -> bool:
    """Run one stage; print its time and result."""
    print(f"\n=== {name}: {' '.join(cmd)}", flush=True)
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, check=False)
    took = time.monotonic() - started
    print(f"=== {name}: {'ok' if result.returncode == 0 else 'FAILED'} in {took:.1f} s", flush=True)
    return result.returncode == 0


def postgres_stage(cmd: list[str]) -> dict[str, bool | None]:
    """The tests again on PostgreSQL: a given server, a throwaway local one, or a note that there is none (None)."""
    name = "pytest (PostgreSQL)"
    given = os.environ.get(PG_ENV)
    if given:
        return {name: stage(f"{name} at {given}", cmd, {PG_ENV: given})}
    bindir = find_bin()
    if bindir is None:
        required = os.environ.get("CALLCENTER_REQUIRE_POSTGRES") == "1"
        print(f"\n=== {name}: NOT RUN: PostgreSQL is not installed (Debian: apt-get install postgresql)"
              + ("; CALLCENTER_REQUIRE_POSTGRES=1 makes this a failure" if required else ""), flush=True)
        return {f"{name}: not run, PostgreSQL is not installed": False if required else None}
    started = time.monotonic()
    try:
        with local_postgres(bindir) as url:
            print(f"\n=== PostgreSQL from {bindir}: throwaway cluster at {url}"
                  f" started in {time.monotonic() - started:.1f} s", flush=True)
            return {name: stage(name, cmd, {PG_ENV: url})}
    except RuntimeError as err:
        print(f"\n=== {name}: FAILED: {err}", flush=True)
        return {name: False}


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    """All stages; exit non-zero if any failed."""
    signal.signal(signal.SIGTERM, _interrupt)  # a killed run still stops its PostgreSQL cluster
    extra = sys.argv[1:]
    started = time.monotonic()
    pytest = [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider"]
    sqlite_env = {PG_ENV: ""}  # the first run is SQLite's even when a PostgreSQL URL is exported
    results: dict[str, bool | None] = {
        "ruff": stage("ruff", [str(BIN / "ruff"), "check", "callcenter", "tests", "bench", "scripts"]),
        "mypy": stage("mypy", [str(BIN / "mypy")]),
        "pytest (SQLite)": stage("pytest (SQLite)", [*pytest, *extra], sqlite_env),
    }
    results.update(postgres_stage([*pytest, "--ignore=tests/browser", *extra]))
    bench = sorted((ROOT / "bench").glob("[!_]*.py"))
    for script in bench:
        results[f"bench {script.stem}"] = stage(
            f"bench {script.stem} (smoke)", [sys.executable, str(script), "--smoke"]
        )
    print(f"\n=== total {time.monotonic() - started:.1f} s")
    for name, ok in results.items():
        print(f"    {'ok    ' if ok else 'skip  ' if ok is None else 'FAILED'} {name}")
    return 0 if all(ok is not False for ok in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
