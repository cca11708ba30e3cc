#!/usr/bin/env python3
"""Run the whole suite in stages (lint, types, tests, benchmark smoke runs), printing each stage's time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def stage(name: str, cmd: list[str], env: dict[str, str] | None = None) -> bool:
    """Run one stage; print its time and result."""
    print(f"\n=== {name}: {' '.join(cmd)}", flush=True)
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, check=False)
    took = time.monotonic() - started
    print(f"=== {name}: {'ok' if result.returncode == 0 else 'FAILED'} in {took:.1f} s", flush=True)
    return result.returncode == 0


def main() -> int:
    """All stages; exit non-zero if any failed."""
    extra = sys.argv[1:]
    started = time.monotonic()
    results = {
        "ruff": stage("ruff", [str(BIN / "ruff"), "check", "callcenter", "tests", "bench", "scripts"]),
        "mypy": stage("mypy", [str(BIN / "mypy")]),
        "pytest (SQLite)": stage("pytest (SQLite)", [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", *extra]),
    }
    bench = sorted((ROOT / "bench").glob("[!_]*.py"))
    for script in bench:
        results[f"bench {script.stem}"] = stage(
            f"bench {script.stem} (smoke)", [sys.executable, str(script), "--smoke"]
        )
    print(f"\n=== total {time.monotonic() - started:.1f} s")
    for name, ok in results.items():
        print(f"    {'ok    ' if ok else 'FAILED'} {name}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
