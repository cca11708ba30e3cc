"""Everything true on one node stays true on two: pops, duplicates, reservations, a node killed, timers."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.multinode.conftest import NEEDS_CLUSTER, Cluster, event, eventually

pytestmark = NEEDS_CLUSTER


async def test_an_event_posted_to_node_a_pops_on_a_socket_connected_to_node_b(cluster: Cluster) -> None:
    a, b = cluster.nodes
    emma = await cluster.agent("emma")
    await cluster.socket(b, await cluster.login(a, "emma"), "emma@b")  # a login on A is valid on B
    status, ack = await cluster.post(a, event("ringing", "x1", agents=["emma"]))
    assert status == 200 and ack["popped"] == [emma.id]

    async def popped() -> bool:
        return any(e == "call:pop" for e, _ in cluster.received["emma@b"])

    await eventually(popped)


async def test_the_same_event_on_both_nodes_at_once_gives_one_call_and_one_pop(cluster: Cluster) -> None:
    a, b = cluster.nodes
    emma = await cluster.agent("emma")
    await cluster.socket(a, await cluster.login(b, "emma"), "emma@a")
    for n in range(5):
        body = event("ringing", f"dup{n}", agents=["emma"], at="2026-11-24T09:00:00Z")
        results = await asyncio.gather(*(cluster.post(node, body) for node in (a, b, a, b)))
        assert all(status == 200 for status, _ in results)
        assert sum(len(ack["popped"]) for _, ack in results) == 1
    assert await cluster.db.fetchval("SELECT COUNT(*) FROM calls") == 5
    assert await cluster.db.fetchval("SELECT COUNT(*) FROM call_pops WHERE user_id = ?", (emma.id,)) == 5

    async def five_pops() -> bool:
        return sum(e == "call:pop" for e, _ in cluster.received["emma@a"]) >= 5

    await eventually(five_pops)
    await asyncio.sleep(0.3)
    assert sum(e == "call:pop" for e, _ in cluster.received["emma@a"]) == 5
    seqs = [d["seq"] for e, d in cluster.received["emma@a"] if isinstance(d, dict) and "seq" in d]
    # Gap-free though two nodes numbered them; two nodes' emits may arrive in either order, which
    # the console sorts out by number (a gap it cannot fill makes it ask for the snapshot).
    assert sorted(seqs) == list(range(min(seqs), min(seqs) + len(seqs)))


async def test_routing_on_two_nodes_never_gives_one_agent_two_calls(cluster: Cluster) -> None:
    a, b = cluster.nodes
    await cluster.queue("sales")
    await cluster.agent("emma")
    await cluster.agent("james")
    for name, node in (("emma", a), ("james", b)):
        async with aiohttp.ClientSession() as http:
            token = await cluster.login(node, name)
            response = await http.post(f"{node.url}/api/me/presence", json={"presence": "available"},
                                       headers={"Cookie": f"cc_session={token}", "Origin": node.url})
            assert response.status == 200
    bodies = [event("ringing", f"r{n}", route=True, queue="sales", **{"from": f"+86138000000{n:02d}"})
              for n in range(12)]
    results = await asyncio.gather(*(cluster.post(cluster.nodes[n % 2], body) for n, body in enumerate(bodies)))
    assert all(status == 200 for status, _ in results)
    dialled = [ack["agent"] for _, ack in results if ack["action"] == "dial"]
    assert sorted(dialled) == ["emma", "james"]
    assert await cluster.db.fetchval("SELECT COUNT(*) FROM routed_calls WHERE state = 'ringing'") == 2
    assert await cluster.db.fetchval("SELECT COUNT(*) FROM routed_calls WHERE state = 'waiting'") == 10


async def test_kill_9_one_node_mid_stream_and_the_other_keeps_serving(cluster: Cluster) -> None:
    a = cluster.nodes[0]
    await cluster.agent("emma")
    acknowledged: list[str] = []

    async def stream(node_index: int, start: int, count: int) -> None:
        for n in range(start, start + count):
            call = f"k{n}"
            try:
                status, _ = await cluster.post(cluster.nodes[node_index], event("ringing", call, agents=["emma"]))
            except Exception:  # the node died under us: that event was not acknowledged
                continue
            if status == 200:
                acknowledged.append(call)

    first = asyncio.create_task(stream(0, 0, 200))

    async def streaming() -> bool:
        return len(acknowledged) >= 20

    await eventually(streaming)  # mid-stream
    a.kill()
    await first
    await stream(1, 1000, 30)  # node B goes on
    assert len(acknowledged) >= 30
    stored = {r["call_id"] for r in await cluster.db.fetchall("SELECT call_id FROM call_events")}
    assert set(acknowledged) <= stored  # nothing acknowledged was lost
    assert {f"k{n}" for n in range(1000, 1030)} <= stored


async def test_a_wrap_up_timeout_due_while_both_nodes_run_fires_once(cluster: Cluster) -> None:
    a, b = cluster.nodes
    await cluster.queue("sales", wrap_up_s=2)
    emma = await cluster.agent("emma")
    async with aiohttp.ClientSession() as http:
        token = await cluster.login(b, "emma")
        await http.post(f"{b.url}/api/me/presence", json={"presence": "available"},
                        headers={"Cookie": f"cc_session={token}", "Origin": b.url})
    status, ack = await cluster.post(a, event("ringing", "w1", route=True, queue="sales"))
    assert (status, ack["action"], ack["agent"]) == (200, "dial", "emma")
    assert (await cluster.post(b, event("answered", "w1", agent="emma")))[0] == 200
    assert (await cluster.post(a, event("ended", "w1", cause="normalClearing")))[0] == 200

    async def idle_again() -> bool:
        state = await cluster.db.fetchval("SELECT state FROM agent_work WHERE user_id = ?", (emma.id,))
        return bool(state == "idle")

    await eventually(idle_again)
    for _ in range(10):  # watch for a second run while both nodes poll their timers (every 0.25 s)
        rows = await cluster.db.fetchall(
            "SELECT work FROM agent_state_log WHERE user_id = ? ORDER BY id", (emma.id,))
        works = [r["work"] for r in rows]
        assert works[works.index("wrap_up") + 1:] == ["idle"]
        await asyncio.sleep(0.1)
    assert works.count("wrap_up") == 1 and works[-1] == "idle"
    assert works[works.index("wrap_up") + 1:] == ["idle"]
    assert await cluster.db.fetchval("SELECT COUNT(*) FROM timers WHERE kind = 'wrap_up'") == 0
    wrapped = await cluster.db.fetchval("SELECT wrapped_up_at FROM calls WHERE external_id = 'w1'")
    assert wrapped is not None
