#!/usr/bin/env python3
"""Screen-pop benchmark: N agents on real websockets, inbound call lifecycles posted at stepped rates.

Reports sustained events/s and the latency from a ``ringing`` POST being sent to its ``call:pop``
being received by the rung agent's socket (p50/p99/max), the CPU of server and load generator,
and the server's RSS, next to the framework floor measured in the same run: a bare aiohttp JSON
POST handler, and a bare Socket.IO emit to one room.

    python bench/pop.py                      # 500 agents, 300…1800 events/s, 10 s steps
    python bench/pop.py --smoke              # 50 agents, short steps: proves the path works
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import socketio
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TICKS, callcenter, cpu_seconds, free_port, percentile, rss_mb, start, table
from _seed import seed_bench_data

from callcenter.app import tune_collector
from callcenter.console.models import BUNDLE
from callcenter.realtime import FastJson

PASSWORD = "bench-password-1"


class Agents:
    """N logged-in agents, each with a socket that timestamps the pops it receives."""

    def __init__(self) -> None:
        self.clients: list[socketio.AsyncClient] = []
        self.received: dict[str, float] = {}
        self.pops = 0

    async def connect(self, url: str, cookies: list[str], path: str = "socket.io",
                      auth: list[dict[str, str]] | None = None) -> None:
        sem = asyncio.Semaphore(50)

        async def one(i: int, cookie: str) -> None:
            client = socketio.AsyncClient(reconnection=False, json=FastJson)

            def popped(data: dict[str, Any]) -> None:
                key = data.get("call", {}).get("external_id") or data.get("call_id")
                self.received.setdefault(str(key), time.perf_counter())
                self.pops += 1

            @client.on("call:pop")
            async def on_pop(data: dict[str, Any]) -> None:
                popped(data)

            @client.on(BUNDLE)
            async def on_bundle(pushes: list[dict[str, Any]]) -> None:
                for push in pushes:
                    if push["event"] == "call:pop":
                        popped(push["data"])

            async with sem:
                await client.connect(url, headers={"Cookie": cookie} if cookie else {}, transports=["websocket"],
                                     socketio_path=path, auth=auth[i] if auth else None, wait_timeout=30)
            self.clients.append(client)

        await asyncio.gather(*(one(i, c) for i, c in enumerate(cookies)))

    async def close(self) -> None:
        await asyncio.gather(*(c.disconnect() for c in self.clients), return_exceptions=True)


async def login_all(url: str, usernames: list[str]) -> list[str]:
    """Log every agent in over HTTP; return their session cookies."""
    sem = asyncio.Semaphore(8)
    cookies: list[str] = []
    async with aiohttp.ClientSession() as http:
        async def one(name: str) -> str:
            async with sem, http.post(f"{url}/api/session", json={"username": name, "password": PASSWORD}) as r:
                r.raise_for_status()
                return f"cc_session={r.cookies['cc_session'].value}"
        cookies = list(await asyncio.gather(*(one(n) for n in usernames)))
    return cookies


async def step(http: aiohttp.ClientSession, url: str, token: str, agents: Agents, usernames: list[str],
               numbers: list[str], rate: int, seconds: float, server_pids: list[int], prefix: str,
               profile: Path | None = None, trace: Path | None = None) -> dict[str, Any]:
    """Post call lifecycles (ringing, answered, ended) at ``rate`` events/s for ``seconds``."""
    spy = start_profiler(profile, server_pids[0], rate, seconds) if profile is not None else None
    headers = {"Authorization": f"Bearer {token}"}
    sent: dict[str, float] = {}
    errors = 0
    done = 0
    inflight = asyncio.Semaphore(256)
    calls = int(rate * seconds / 3)
    interval = 3 / rate

    async def post(body: dict[str, Any]) -> float:
        nonlocal errors, done
        async with inflight:
            t0 = time.perf_counter()
            try:
                async with http.post(f"{url}/api/telephony/events", json=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            done += 1
            return t0

    async def lifecycle(i: int) -> None:
        call_id = f"{prefix}-{i}"
        agent = random.choice(usernames)
        caller = random.choice(numbers)
        base = {"call_id": call_id, "direction": "inbound", "from": caller, "to": "+861088880000", "queue": "sales"}
        sent[call_id] = time.perf_counter()
        await post({**base, "event": "ringing", "agents": [agent]})
        await asyncio.sleep(interval)
        await post({**base, "event": "answered", "agent": agent})
        await asyncio.sleep(interval)
        await post({**base, "event": "ended", "cause": "normalClearing"})

    cpu0 = {pid: cpu_seconds(pid) for pid in server_pids}
    threads0 = thread_times(server_pids[0])
    me0 = time.process_time()
    t0 = time.perf_counter()
    # Only lifecycles still running are kept: a long step (--step-s 300) otherwise holds ~100,000
    # finished tasks, and the load generator's own collections, walking them, stalled its sockets
    # for up to half a second, which showed up as pop latency.
    running: set[asyncio.Task[None]] = set()
    failures: list[BaseException] = []

    def finished(task: asyncio.Task[None]) -> None:
        running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            failures.append(task.exception())  # type: ignore[arg-type]

    for i in range(calls):
        target = t0 + i * interval
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(lifecycle(i))
        running.add(task)
        task.add_done_callback(finished)
    while running:
        await asyncio.wait(set(running))
    if failures:
        raise failures[0]
    elapsed = time.perf_counter() - t0
    threads1 = thread_times(server_pids[0])
    if spy is not None and profile is not None:
        write_thread_report(profile / f"pop-{rate}.threads", threads0, threads1, elapsed)
        await asyncio.to_thread(spy.wait)
    await asyncio.sleep(0.5)  # late pops
    # (seconds into the step it was sent, latency ms) of each call whose pop came
    samples = [(at - t0, (agents.received[c] - at) * 1000) for c, at in sent.items() if c in agents.received]
    latencies = [latency for _, latency in samples]
    windows = window_p99s(samples, max(sent.values(), default=t0) - t0)
    if trace is not None:
        write_trace(trace / f"pop-{rate}-{prefix}.tsv", t0, sent, agents.received)
    missing = len(sent) - len(latencies)
    return {
        "target ev/s": rate,
        "achieved ev/s": round(done / elapsed),
        "p50 ms": round(percentile(latencies, 50), 1),
        "p99 ms": round(percentile(latencies, 99), 1),
        "max ms": round(max(latencies, default=float("nan")), 1),
        # Steadiness of a long step: its worst 10-second window, and how many of its windows had p99 over 50 ms.
        "worst 10 s p99 ms": round(max(windows), 1) if windows else "",
        "10 s windows over 50 ms": f"{sum(w > 50 for w in windows)} of {len(windows)}" if windows else "",
        "errors": errors,
        "pops missing": missing,
        "server CPU %": round(sum(cpu_seconds(p) - cpu0[p] for p in server_pids) / elapsed * 100),
        "loadgen CPU %": round((time.process_time() - me0) / elapsed * 100),
        **thread_split(server_pids[0], threads0, threads1, elapsed),
    }


WINDOW_S = 10.0


def window_p99s(samples: list[tuple[float, float]], last_send_s: float) -> list[float]:
    """p99 latency (ms) of each whole 10-second window of a step, by send time (none in a step under 20 s)."""
    by_window: dict[int, list[float]] = {}
    for sent_s, latency in samples:
        by_window.setdefault(int(sent_s // WINDOW_S), []).append(latency)
    whole = int(last_send_s // WINDOW_S)  # the window the last call was sent in is cut short
    if whole < 2:
        return []
    return [percentile(by_window[w], 99) for w in range(whole) if by_window.get(w)]


def thread_split(pid: int, before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]],
                 elapsed: float) -> dict[str, int]:
    """The CPU % of the (first) server's event loop thread and of its busiest other thread (on
    SQLite, the database writer): which of the two runs out first."""
    def busy(name: str) -> float:
        u0, s0 = before.get(name, (0.0, 0.0))
        u1, s1 = after[name]
        return (u1 - u0 + s1 - s0) / elapsed * 100
    loop = next((n for n in after if n.split(" ", 1)[0] == str(pid)), None)
    others = [busy(n) for n in after if n != loop]
    return {"loop CPU %": round(busy(loop)) if loop else 0, "busiest thread CPU %": round(max(others, default=0))}


def write_trace(path: Path, t0: float, sent: dict[str, float], received: dict[str, float]) -> None:
    """Each call's send time (s into the step) and pop latency (ms, empty when it never came), for finding stalls."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# t0 {t0:.6f} (time.perf_counter, CLOCK_MONOTONIC)\n"]
    for call, at in sent.items():
        latency = f"{(received[call] - at) * 1000:.2f}" if call in received else ""
        lines.append(f"{at - t0:.4f}\t{latency}\n")
    path.write_text("".join(lines))


def start_profiler(profile: Path, pid: int, rate: int, seconds: float) -> subprocess.Popen[bytes]:
    """py-spy sampling the server (only while it holds the GIL) for this step, into a raw flame-graph file."""
    profile.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "-p", str(pid),
                             "-d", str(max(1, int(seconds) - 1)), "-r", "200", "--gil", "-f", "raw",
                             "-o", str(profile / f"pop-{rate}.raw")], stdout=subprocess.DEVNULL)


def write_thread_report(path: Path, before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]],
                        elapsed: float) -> None:
    """Each server thread's user and system CPU over the step, as % of one core."""
    path.write_text("".join(
        f"{name}: user {(u - before.get(name, (0, 0))[0]) / elapsed * 100:.0f} %, "
        f"system {(st - before.get(name, (0, 0))[1]) / elapsed * 100:.0f} %\n"
        for name, (u, st) in sorted(after.items())))


def thread_times(pid: int) -> dict[str, tuple[float, float]]:
    """User and system CPU seconds of each thread of a process, by thread id and name."""
    times = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            times[f"{task.name} {name}"] = (int(fields[11]) / TICKS, int(fields[12]) / TICKS)
    return times


async def floor(agents_n: int, rates: list[int], seconds: float) -> list[dict[str, Any]]:
    """The same measurements against the bare framework in this run."""
    port = free_port()
    server = await start([sys.executable, str(Path(__file__).parent / "_floor.py"), str(port)], {}, port)
    rows: list[dict[str, Any]] = []
    try:
        async with aiohttp.ClientSession(json_serialize=FastJson.dumps) as http:
            # 1. The bare JSON POST handler, 32 requests in flight, as fast as it goes.
            count, lat = 0, []
            stop = time.perf_counter() + seconds
            cpu0 = cpu_seconds(server.pid)
            t0 = time.perf_counter()

            async def worker() -> None:
                nonlocal count
                while time.perf_counter() < stop:
                    s = time.perf_counter()
                    async with http.post(f"{server.url}/echo", json={"call_id": "x", "event": "ringing"}) as r:
                        await r.read()
                    lat.append((time.perf_counter() - s) * 1000)
                    count += 1

            await asyncio.gather(*(worker() for _ in range(32)))
            took = time.perf_counter() - t0
            rows.append({"what": "bare aiohttp JSON POST, 32 in flight", "req/s": round(count / took),
                         "p50 ms": round(percentile(lat, 50), 1), "p99 ms": round(percentile(lat, 99), 1),
                         "server CPU %": round((cpu_seconds(server.pid) - cpu0) / took * 100)})
            # 2. POST → one emit to one room → received, with the same number of sockets connected.
            agents = Agents()
            rooms = [{"room": f"r{i}"} for i in range(agents_n)]
            await agents.connect(server.url, [""] * agents_n, auth=rooms)
            for rate in rates:
                sent: dict[str, float] = {}
                t0 = time.perf_counter()
                n = int(rate * seconds)
                tasks = []

                async def fire(key: str, sent: dict[str, float] = sent) -> None:
                    sent[key] = time.perf_counter()
                    async with http.post(f"{server.url}/emit", json={"room": random.choice(rooms)["room"],
                                                                     "call_id": key}) as r:
                        await r.read()

                for i in range(n):
                    delay = t0 + i / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.create_task(fire(f"f{rate}-{i}")))
                await asyncio.gather(*tasks)
                took = time.perf_counter() - t0
                await asyncio.sleep(0.3)
                lat = [(agents.received[k] - s) * 1000 for k, s in sent.items() if k in agents.received]
                rows.append({"what": f"bare Socket.IO emit to one room at {rate}/s", "req/s": round(n / took),
                             "p50 ms": round(percentile(lat, 50), 1), "p99 ms": round(percentile(lat, 99), 1)})
            await agents.close()
    finally:
        server.stop()
    return rows


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    # The load generator must not add stalls of its own to the latencies it measures: its 500
    # clients make the same garbage-collection pauses as the server, tuned the same way.
    tune_collector()
    rates = [int(r) for r in args.rates.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="cc-bench-"))
    database = args.database or f"sqlite:///{workdir}/bench.db"
    usernames, numbers, token = await seed_bench_data(database, args.agents, args.customers, PASSWORD)
    ports = [free_port() for _ in range(args.nodes)]
    env = {"CALLCENTER_DATABASE_URL": database, "CALLCENTER_LOG_LEVEL": "WARNING"}
    if args.redis:
        env["CALLCENTER_REDIS_URL"] = args.redis
    servers = [await start(callcenter("serve", "--port", str(p)),
                           {**env, "CALLCENTER_PUBLIC_URL": f"http://127.0.0.1:{p}"}, p) for p in ports]
    result: dict[str, Any] = {"agents": args.agents, "database": database.split(":")[0], "nodes": args.nodes}
    try:
        rss_start = [rss_mb(s.pid) for s in servers]
        cookies = await login_all(servers[0].url, usernames)
        agents = Agents()
        for i, server in enumerate(servers):
            await agents.connect(server.url, cookies[i::len(servers)])
        result["rss_after_login_mb"] = [round(rss_mb(s.pid), 1) for s in servers]
        gc.freeze()  # the 500 connected clients stay for the run: out of the load generator's GC scans
        result["rss_at_start_mb"] = [round(r, 1) for r in rss_start]
        rows = []
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256),
                                         json_serialize=FastJson.dumps) as http:
            for rate in rates:
                url = servers[(len(rows)) % len(servers)].url if len(servers) == 1 else None
                row = await step(http, url or servers[0].url, token, agents, usernames, numbers, rate, args.step_s,
                                 [s.pid for s in servers], f"r{rate}-{time.time_ns()}", args.profile, args.trace)
                rows.append(row)
                print(json.dumps(row), flush=True)
        result["steps"] = rows
        result["rss_end_mb"] = [round(rss_mb(s.pid), 1) for s in servers]
        result["pops_received"] = agents.pops
        await agents.close()
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if not args.no_floor:
        result["floor"] = await floor(args.agents, rates[:3], min(args.step_s, 5))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--rates", default="300,600,900,1200,1500,1800")
    parser.add_argument("--step-s", type=float, default=10.0)
    parser.add_argument("--database", help="postgresql://… to run on PostgreSQL (default: a temp SQLite file)")
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument("--redis", help="redis://… for several nodes")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="50 agents, 2 s steps at low rates")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--profile", type=Path, help="sample the server with py-spy during each step, raw files here")
    parser.add_argument("--trace", type=Path, help="write each step's per-call send time and latency here")
    args = parser.parse_args()
    if args.smoke:
        args.agents, args.customers, args.rates, args.step_s = 50, 300, "150,300", 2.0
    # The load generator shares the machine's cores with the server: uvloop keeps what it costs
    # (500 Socket.IO clients and the posting) from crowding the server out.
    result = uvloop.run(main_async(args))
    print()
    print(f"agents {result['agents']}, database {result['database']}, nodes {result['nodes']}")
    print(f"server RSS: start {result['rss_at_start_mb']} MB, after login {result['rss_after_login_mb']} MB, "
          f"end {result['rss_end_mb']} MB")
    print(table(result["steps"], list(result["steps"][0])))
    if "floor" in result:
        print()
        print(table(result["floor"], ["what", "req/s", "p50 ms", "p99 ms", "server CPU %"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    bad = [s for s in result["steps"] if s["errors"] or s["pops missing"]]
    return 1 if args.smoke and bad else 0


if __name__ == "__main__":
    sys.exit(main())
