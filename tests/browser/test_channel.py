"""The console's channel (static/js/socket.js) in Chromium, over a fake socket and a fake snapshot API.

What matters is order: pushes apply once each and in ``seq`` order (also when several come in one
``pushes`` message), pushes that arrive while a snapshot loads wait for it, a gap asks for a
snapshot from the last applied ``seq``, and a reconnect does too.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Server
from tests.browser.helpers import new_context

pytestmark = pytest.mark.browser

SCRIPT = """
async () => {
  const { Channel } = await import("/static/js/socket.js");
  const handlers = {};
  let anyHandler = null;
  const fake = {
    connected: false,
    active: true,
    on(event, fn) { handlers[event] = fn; },
    onAny(fn) { anyHandler = fn; },
    connect() { this.connected = true; handlers.connect(); },
    disconnect() { this.connected = false; },
    drop() { this.connected = false; handlers.disconnect("transport close"); },
    push(event, data) { anyHandler(event, data); },
  };
  // Snapshots are answered by hand, so the test decides what arrives while one is loading.
  const requests = [];
  window.fetch = (url) => new Promise((resolve) => requests.push({ url: String(url), resolve }));
  const answer = async (body) => {
    for (let i = 0; !requests.some((r) => !r.answered); i++) {
      if (i > 200) throw new Error(`no snapshot request came; asked so far: ${requests.map((r) => r.url)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const request = requests.find((r) => !r.answered);
    request.answered = true;
    request.resolve(new Response(JSON.stringify({ server_now: Date.now(), state: {}, pushes: [], ...body })));
    await new Promise((r) => setTimeout(r, 20));
  };
  const push = (seq) => ["notify", { seq, message_key: "m" }];
  const applied = [];
  const snapshots = [];
  const statuses = [];
  const channel = new Channel({
    path: "/socket.io",
    connect: () => fake,
    onSnapshot: (s) => snapshots.push(s.reset),
    onPush: (event, data) => applied.push(data.seq),
    onStatus: (status) => statuses.push(status),
  });

  channel.start();
  fake.push(...push(6));                       // arrives before the first snapshot: waits
  await answer({ seq: 5, reset: true });
  fake.push(...push(6));                       // a repeat: dropped
  fake.push(...push(7));
  fake.push(...push(9));                       // 8 is missing: snapshot since 7
  fake.push(...push(10));                      // waits for that snapshot
  await answer({ seq: 9, reset: false, pushes: [{ event: "notify", data: { seq: 8 } },
                                                 { event: "notify", data: { seq: 9 } }] });
  fake.drop();
  fake.push(...push(11));                      // cannot happen on a dropped socket, but must not apply
  fake.connect();
  await answer({ seq: 12, reset: true });      // too far behind: the state is replaced
  fake.push(...push(13));
  fake.push("pushes", [{ event: "notify", data: { seq: 14 } }, { event: "notify", data: { seq: 15 } }]);
  fake.push("pushes", [{ event: "notify", data: { seq: 15 } }, { event: "notify", data: { seq: 16 } }]);
  return { applied, snapshots, statuses, urls: requests.map((r) => r.url) };
}
"""


def test_pushes_apply_once_in_order_and_gaps_and_reconnects_resnapshot(browser: Any, server: Server) -> None:
    context = new_context(browser, "en")
    page = context.new_page()
    page.goto(f"{server.url}/login")
    result = page.evaluate(SCRIPT)
    assert result["urls"] == [
        "/api/console/snapshot",
        "/api/console/snapshot?since=7",
        "/api/console/snapshot?since=10",
    ]
    # A bundle applies push by push: its repeats are dropped like any other.
    assert result["applied"] == [6, 7, 8, 9, 10, 13, 14, 15, 16]
    assert result["snapshots"] == [True, False, True]
    assert result["statuses"] == ["connecting", "connected", "connected", "reconnecting", "connected"]
    context.close()
