#!/usr/bin/env python3
"""Routing benchmark: one routing decision and one re-offer, next to one indexed SQLite read in the same run.

1,000 agents with random skills over 20 queues, 200 calls waiting, run as a closed loop: each round
a call arrives (``decide``: dial the best free agent, or queue), and an agent on a call hangs up,
wraps up and frees up (``wrap_up_done``, which re-offers the waiting call with the longest
effective wait). Four queues want scarce skills whose agents are all busy, so the waiting line
stays full while most calls still find an agent; abandons and arrivals hold it near 200.
The floor is ``SELECT … WHERE call_id = ?`` on an indexed temp-file table through the stdlib
``sqlite3``, in this process: the cheapest database read a service could do instead.

    python bench/routing.py                  # 1,000 agents, 200 waiting, 20,000 rounds
    python bench/routing.py --smoke          # 2,000 rounds: proves every path works, in a few seconds
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from callcenter.routing import Action, AgentState, Decision, Presence, QueueConfig, Router, WaitingCall, WorkState

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile, table

T0 = 1_767_225_600_000
COMMON = [f"skill{i}" for i in range(16)]
SCARCE = [f"scarce{i}" for i in range(4)]
GOAL_US = 1000.0


def build(rng: random.Random, agents_n: int, waiting_n: int) -> tuple[list[AgentState], list[QueueConfig],
                                                                     list[WaitingCall]]:
    """Agents, queues and waiting calls: a tenth of the agents hold a scarce skill and are all on calls."""
    queues = [QueueConfig(f"q{i}", f"Queue {i}", {s: rng.randint(1, 3) for s in rng.sample(COMMON, rng.randint(1, 2))})
              for i in range(16)]
    queues += [QueueConfig(f"scarce{i}", f"Scarce {i}", {skill: 1}) for i, skill in enumerate(SCARCE)]
    agents = []
    scarce_n = agents_n // 10
    for uid in range(agents_n):
        skills = {s: rng.randint(1, 5) for s in rng.sample(COMMON, rng.randint(2, 5))}
        idle_since = T0 - rng.randint(0, 600_000)
        if uid < scarce_n:
            skills[SCARCE[uid % len(SCARCE)]] = rng.randint(1, 5)
            agents.append(AgentState(uid, Presence.AVAILABLE, idle_since_ms=idle_since, skills=skills,
                                     active=frozenset({f"seed{uid}"})))
            continue
        roll = rng.random()
        presence = Presence.AWAY if roll < 0.1 else Presence.AVAILABLE
        extra: dict[str, Any] = {}
        if 0.1 <= roll < 0.35:
            extra["active"] = frozenset({f"seed{uid}"})
        elif 0.35 <= roll < 0.45:
            extra["work"] = WorkState.WRAP_UP
        agents.append(AgentState(uid, presence, idle_since_ms=idle_since, skills=skills, **extra))
    waiting = [WaitingCall(f"w{i}", f"scarce{rng.randrange(len(SCARCE))}", T0 - rng.randint(0, 300_000),
                           rng.choice("AABCCCCC"), None) for i in range(waiting_n)]
    return agents, queues, waiting


class Loop:
    """The closed loop: arrivals, hang-ups and re-offers, with the timings of the two measured calls."""

    def __init__(self, router: Router, agents: list[AgentState], rng: random.Random, waiting_n: int) -> None:
        self.router, self.rng, self.waiting_n = router, rng, waiting_n
        self.now = T0
        self.serial = 0
        self.busy: list[tuple[int, str]] = [(a.user_id, c) for a in agents for c in a.active]
        self.waiting: set[str] = set()
        self.timings: dict[str, list[float]] = {"decide → dial": [], "decide → queue": [],
                                                "re-offer → dial": [], "re-offer → nothing waiting for them": []}

    def settle(self, decisions: list[Decision]) -> None:
        """Every dialled agent answers at once; queued calls are remembered."""
        for decision in decisions:
            if decision.action is Action.DIAL and decision.agent_id is not None:
                self.waiting.discard(decision.call_id)
                self.busy.append((decision.agent_id, decision.call_id))
                self.settle(self.router.answered(decision.call_id, decision.agent_id, self.now))
            elif decision.action is Action.QUEUE:
                self.waiting.add(decision.call_id)

    def arrive(self, queue_id: str, timed: bool) -> None:
        self.serial += 1
        call = WaitingCall(f"n{self.serial}", queue_id, self.now, self.rng.choice("ABCCC"))
        t0 = time.perf_counter_ns()
        decision = self.router.decide(call, self.now)
        took = (time.perf_counter_ns() - t0) / 1000
        if timed:
            key = "decide → dial" if decision.action is Action.DIAL else "decide → queue"
            self.timings[key].append(took)
        self.settle([decision])

    def round(self) -> None:
        self.now += 50
        scarce = self.rng.random() < 0.2
        self.arrive(f"scarce{self.rng.randrange(len(SCARCE))}" if scarce else f"q{self.rng.randrange(16)}", True)
        i = self.rng.randrange(len(self.busy))
        self.busy[i], self.busy[-1] = self.busy[-1], self.busy[i]
        user_id, call_id = self.busy.pop()
        self.settle(self.router.ended(call_id, user_id, self.now))
        t0 = time.perf_counter_ns()
        offers = self.router.wrap_up_done(user_id, self.now)
        took = (time.perf_counter_ns() - t0) / 1000
        self.timings["re-offer → dial" if offers else "re-offer → nothing waiting for them"].append(took)
        self.settle(offers)
        while len(self.waiting) > self.waiting_n:  # a caller gives up
            self.settle(self.router.remove_call(self.waiting.pop(), self.now))
        while len(self.waiting) < self.waiting_n:
            self.arrive(f"scarce{self.rng.randrange(len(SCARCE))}", False)


def sqlite_floor(rows: int, reads: int, rng: random.Random) -> list[float]:
    """Microseconds per indexed point read from a temp-file SQLite table, stdlib driver, same process."""
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as workdir:
        conn = sqlite3.connect(Path(workdir) / "floor.db")
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE calls (id INTEGER PRIMARY KEY, call_id TEXT NOT NULL, queue_id TEXT, "
                         "enqueued_at INTEGER, state TEXT)")
            conn.execute("CREATE UNIQUE INDEX calls_call_id ON calls (call_id)")
            conn.executemany("INSERT INTO calls (call_id, queue_id, enqueued_at, state) VALUES (?, ?, ?, ?)",
                             [(f"call-{i}", f"q{i % 20}", T0 + i, "queued") for i in range(rows)])
            conn.commit()
            out = []
            for _ in range(reads):
                key = (f"call-{rng.randrange(rows)}",)
                t0 = time.perf_counter_ns()
                conn.execute("SELECT queue_id, enqueued_at, state FROM calls WHERE call_id = ?", key).fetchone()
                out.append((time.perf_counter_ns() - t0) / 1000)
            return out
        finally:
            conn.close()


def stats(what: str, values: list[float], floor_p99: float | None) -> dict[str, Any]:
    p99 = percentile(values, 99)
    row: dict[str, Any] = {"what": what, "n": len(values), "p50 µs": round(percentile(values, 50), 1),
                           "p99 µs": round(p99, 1), "max µs": round(max(values, default=float("nan")), 1)}
    if floor_p99:
        row["p99 / SQLite read p99"] = f"{p99 / floor_p99:.1f}×"
    return row


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    agents, queues, waiting = build(rng, args.agents, args.waiting)
    router = Router()
    t0 = time.perf_counter()
    router.load(agents, queues, waiting)
    loop = Loop(router, agents, rng, args.waiting)
    loop.settle(router.match_waiting(T0))
    loop.waiting |= {c.call_id for c in router.calls() if c.ringing_agent_id is None}
    load_ms = (time.perf_counter() - t0) * 1000
    gc.freeze()  # the loaded state is long-lived; keep the collector's passes to what the loop allocates
    for _ in range(args.rounds):
        loop.round()
    floor = sqlite_floor(10_000, args.rounds, rng)
    floor_p99 = percentile(floor, 99)
    decide = loop.timings["decide → dial"] + loop.timings["decide → queue"]
    reoffer = loop.timings["re-offer → dial"] + loop.timings["re-offer → nothing waiting for them"]
    rows = [stats("decide (all)", decide, floor_p99)]
    rows += [stats(k, v, floor_p99) for k, v in loop.timings.items() if k.startswith("decide")]
    rows += [stats("agent frees up: re-offer (all)", reoffer, floor_p99)]
    rows += [stats(k, v, floor_p99) for k, v in loop.timings.items() if k.startswith("re-offer")]
    rows += [stats("floor: SQLite indexed read (sqlite3, temp file, same process)", floor, None)]
    held = router.calls()
    rung = [c.ringing_agent_id for c in held if c.ringing_agent_id is not None]
    problems = []
    if len(rung) != len(set(rung)):
        problems.append("an agent rings for two calls")
    problems += [f"no samples for {k}" for k, v in loop.timings.items() if not v and "nothing" not in k]
    return {"agents": args.agents, "waiting_target": args.waiting, "waiting_end": len(held) - len(rung),
            "rounds": args.rounds, "seed": args.seed, "load_ms": round(load_ms, 1), "python": sys.version.split()[0],
            "rows": rows, "goal_met": percentile(decide, 99) < GOAL_US and percentile(reoffer, 99) < GOAL_US,
            "problems": problems}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--waiting", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="2,000 rounds")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    if args.smoke:
        args.rounds = 2000
    result = run(args)
    print(f"agents {result['agents']}, waiting {result['waiting_target']} (at the end {result['waiting_end']}), "
          f"rounds {result['rounds']}, load {result['load_ms']} ms, Python {result['python']}")
    print()
    print(table(result["rows"], ["what", "n", "p50 µs", "p99 µs", "max µs", "p99 / SQLite read p99"]))
    print()
    print(f"goal (p99 of decide and re-offer under {GOAL_US:.0f} µs): {'met' if result['goal_met'] else 'NOT met'}")
    for problem in result["problems"]:
        print(f"problem: {problem}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
