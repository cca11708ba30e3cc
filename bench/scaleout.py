"""Scale-out benchmark: the pop benchmark on SQLite with one node, PostgreSQL with one node, and
PostgreSQL with two nodes sharing a Redis, in one run at the same rates, side by side.

    python bench/scaleout.py                 # 500 agents, 300…1200 events/s, 10 s steps
    python bench/scaleout.py --smoke         # 50 agents, short steps: proves the path works

It starts a throwaway PostgreSQL cluster (scripts/pg_local.py) and a redis-server on loopback.
Without PostgreSQL binaries or redis-server it runs what it can and says what it left out.
Each configuration is ``bench/pop.py`` in its own process with a fresh database; the load
generator and every server share this machine's cores, so read the ratios, not the absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from pg_local import find_bin, local_postgres  # noqa: E402

from bench._common import free_port  # noqa: E402


def run_pop(args: argparse.Namespace, workdir: Path, name: str, extra: list[str]) -> dict[str, Any] | None:
    out = workdir / f"{name}.json"
    cmd = [sys.executable, str(ROOT / "bench" / "pop.py"), "--agents", str(args.agents), "--customers",
           str(args.customers), "--rates", args.rates, "--step-s", str(args.step_s), "--json", str(out), *extra]
    print(f"--- {name}: {' '.join(cmd[2:])}", flush=True)
    done = subprocess.run(cmd, cwd=ROOT, check=False)
    if done.returncode != 0 or not out.exists():
        print(f"--- {name}: failed with exit code {done.returncode}")
        return None
    result: dict[str, Any] = json.loads(out.read_text())
    return result


async def fresh_database(base_url: str, name: str) -> str:
    conn = await asyncpg.connect(base_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base_url.rsplit("/", 1)[0] + f"/{name}"


def side_by_side(results: dict[str, dict[str, Any]]) -> str:
    names = list(results)
    head = "| target ev/s | " + " | ".join(f"{n}: ev/s, p50 / p99 ms, CPU %" for n in names) + " |"
    lines = [head, "|---|" + "---|" * len(names)]
    rates = [s["target ev/s"] for s in next(iter(results.values()))["steps"]]
    for i, rate in enumerate(rates):
        cells = []
        for n in names:
            step = results[n]["steps"][i]
            cells.append(f"{step['achieved ev/s']}, {step['p50 ms']} / {step['p99 ms']}, {step['server CPU %']}")
        lines.append(f"| {rate} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--rates", default="300,600,900,1200")
    parser.add_argument("--step-s", type=float, default=10.0)
    parser.add_argument("--smoke", action="store_true", help="50 agents, 2 s steps at low rates")
    args = parser.parse_args()
    if args.smoke:
        args.agents, args.customers, args.rates, args.step_s = 50, 300, "100", 2.0
    results: dict[str, dict[str, Any]] = {}
    left_out: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cc-scaleout-") as tmp:
        workdir = Path(tmp)
        found = run_pop(args, workdir, "sqlite x1", ["--no-floor"] if args.smoke else [])
        if found:
            results["sqlite x1"] = found
        bindir = find_bin()
        redis = shutil.which("redis-server")
        if bindir is None:
            left_out.append("PostgreSQL (no binaries)")
        else:
            with local_postgres(bindir) as base:
                one = asyncio.run(fresh_database(base, "bench_one"))
                found = run_pop(args, workdir, "postgresql x1", ["--database", one, "--no-floor"])
                if found:
                    results["postgresql x1"] = found
                if redis is None:
                    left_out.append("two nodes (no redis-server)")
                else:
                    port = free_port()
                    proc = subprocess.Popen([redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                             "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
                    try:
                        two = asyncio.run(fresh_database(base, "bench_two"))
                        found = run_pop(args, workdir, "postgresql x2", [
                            "--database", two, "--nodes", "2", "--redis", f"redis://127.0.0.1:{port}/0",
                            "--no-floor"])
                        if found:
                            results["postgresql x2"] = found
                    finally:
                        proc.terminate()
                        proc.wait(10)
    print()
    print(f"agents {args.agents}; each cell: achieved events/s, p50 / p99 ms from ringing POST to call:pop, "
          "server CPU % (all nodes)")
    if results:
        print(side_by_side(results))
    if left_out:
        print(f"not run: {', '.join(left_out)}")
    expected = 1 + (bindir is not None) + (bindir is not None and redis is not None)
    return 0 if len(results) == expected else 1


if __name__ == "__main__":
    sys.exit(main())
