"""The supervisor's live board in Chromium: queues, calls waiting and active, agents by state, decisions in words.

The test's agents are set available over the API (as their own consoles would); calls come from a
PBX asking where they go. Agents have a skill of this file's own queue, so only they are offered
its calls, whatever other tests' agents do on the shared server.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import Server
from tests.browser.helpers import (
    VIEWPORT,
    Api,
    horizontal_overflow,
    log_in,
    msg,
    new_context,
    post_call_event,
    run_axe,
    screenshot,
    wait_connected,
    watch_errors,
)
from tests.browser.test_routing_flow import new_agent, new_queue
from tests.web.test_pseudo_locale import untranslated

pytestmark = pytest.mark.browser

KNOWN = "+8613911112222"  # a customer's number
UNKNOWN = "+8613933334444"  # nobody's




def ring(server: Server, token: str, key: str, number: str) -> tuple[str, dict[str, Any]]:
    """A PBX asks where an inbound call goes; (its call id, the answer)."""
    pbx_call = f"board-{uuid.uuid4().hex[:10]}"
    answer = post_call_event(server.url, token, {
        "event": "ringing", "call_id": pbx_call, "direction": "inbound", "from": number, "to": "4000",
        "queue": key, "route": True,
    })
    return pbx_call, answer


def follow(server: Server, token: str, pbx_call: str, kind: str, number: str, **extra: Any) -> None:
    post_call_event(server.url, token, {"event": kind, "call_id": pbx_call, "direction": "inbound", "from": number,
                                        "to": "4000", **extra})


def available(server: Server, user: dict[str, Any]) -> None:
    Api(server.url, user["username"]).post("/api/me/presence", {"presence": "available"})


def row(page: Any, user_id: int) -> Any:
    return page.locator(f'#agent-board tr[data-user-id="{user_id}"]')


def test_the_board_shows_calls_agents_and_why_each_call_went_where_it_did(
    pages: Any, server: Server, pbx_token: str
) -> None:
    admin = Api(server.url, "admin")
    skill, queue = new_queue(admin, ring_timeout_s=120, wrap_up_s=600)
    ann = new_agent(admin, skill["id"], "Ann Busy", proficiency=5)
    ben = new_agent(admin, skill["id"], "Ben Free", proficiency=3)
    cai = new_agent(admin, skill["id"], "Cai Changed", proficiency=2)
    Api(server.url, ann["username"]).post("/api/customers", {"name": "Zhou Caller", "phones": [{"raw": KNOWN}]})
    available(server, ann)
    available(server, ben)

    board = pages("super", "/supervisor", bypass_csp=True)  # axe-core is injected inline
    agent_console = pages(cai["username"])
    agent_console.click("#go-available")
    for user in (ann, ben, cai):
        board.wait_for_selector(f'#agent-board tr[data-user-id="{user["id"]}"][data-state="available"]')

    # Call 1 goes to the best skilled agent, who answers.
    first, answer = ring(server, pbx_token, queue["key"], KNOWN)
    assert answer["agent"] == ann["username"], answer
    follow(server, pbx_token, first, "answered", KNOWN, agent=ann["username"])
    board.wait_for_selector(f'#agent-board tr[data-user-id="{ann["id"]}"][data-state="on_call"]')
    active = board.locator(f'#active-table tr[data-call-id="{answer["call_id"]}"]')
    active.filter(has_text="Zhou Caller").wait_for(timeout=5_000)
    assert "Ann Busy" in active.inner_text()
    assert "Zhou Caller" in row(board, ann["id"]).inner_text()  # the agent's current work

    # Call 2: the next best free agent, with the busy one passed over and why.
    second, answer2 = ring(server, pbx_token, queue["key"], UNKNOWN)
    assert answer2["agent"] == ben["username"], answer2
    decision = board.locator(f'#decision-list li[data-call-id="{answer2["call_id"]}"]')
    decision.wait_for()
    assert decision.get_attribute("data-rule") == "skills_longest_idle"
    text = decision.inner_text()
    assert msg("en", "routing.rule.skills_longest_idle").replace("{agent}", "Ben Free") in text
    assert "Ann Busy — " + msg("en", "routing.excluded.on_call") in text
    waiting = board.locator(f'#waiting-table tr[data-call-id="{answer2["call_id"]}"]')
    waiting.wait_for()
    assert "Ringing Ben Free" in waiting.inner_text()
    # The unknown caller shows masked; no full number anywhere in the page.
    assert re.search(r"\*{4}", waiting.inner_text())
    content = board.content()
    assert "33334444" not in content and "11112222" not in content

    # Call 3 finds no one free (Cai has the skill too, at proficiency 2, but goes away first).
    agent_console.keyboard.press("p")
    agent_console.keyboard.press("1")
    board.wait_for_selector(f'#agent-board tr[data-user-id="{cai["id"]}"][data-state="away"]')
    agent_console.wait_for_function(
        "text => document.getElementById('live-status').textContent === text",
        arg=msg("en", "presence.now.away_reason").replace("{reason}", msg("en", "presence.reason.break")),
    )
    assert agent_console.locator("#notices .notice").count() == 0  # their own change: said, not noticed
    third, answer3 = ring(server, pbx_token, queue["key"], UNKNOWN.replace("4444", "5555"))
    assert answer3["action"] == "queue", answer3
    queued = board.locator(f'#decision-list li[data-call-id="{answer3["call_id"]}"]')
    queued.wait_for()
    words = queued.inner_text()
    assert msg("en", "routing.rule.no_agent_free.other").replace("{count}", "3") in words
    assert "Ben Free — " + msg("en", "routing.excluded.ringing") in words
    assert "Cai Changed — " + msg("en", "routing.excluded.away") in words
    queue_row = board.locator(f'#queue-table tr[data-queue="{queue["key"]}"]')
    queue_row.locator('[data-col="waiting"]').filter(has_text="2").wait_for()
    assert board.get_attribute("#tile-waiting-figures", "data-waiting") is not None
    # Waits tick each second from the server's timestamps.
    wait = board.locator(f'#waiting-table tr[data-call-id="{answer3["call_id"]}"] [data-col="wait"]')
    before = wait.inner_text()
    board.wait_for_function(
        "([selector, text]) => document.querySelector(selector).textContent.trim() !== text",
        arg=[f'#waiting-table tr[data-call-id="{answer3["call_id"]}"] [data-col="wait"]', before.strip()],
        timeout=3_000,
    )
    assert re.fullmatch(r"\d+:\d\d", wait.inner_text().strip())

    # Only agents busy with a call.
    board.select_option("#agent-filter", "busy")
    states = board.eval_on_selector_all("#agent-board tbody tr[data-state]", "rows => rows.map(r => r.dataset.state)")
    assert states and set(states) <= {"ringing", "on_call", "wrap_up"}
    board.select_option("#agent-filter", "all")

    # The supervisor sets Cai to a meeting: the dialog, the agent's own console, the audit log.
    button = board.locator(f'[data-change-state="{cai["id"]}"]')
    button.click()
    board.wait_for_selector("#agent-state-dialog[open]")
    assert board.inner_text("#change-title") == msg("en", "wallboard.change.title").replace("{name}", "Cai Changed")
    assert run_axe(board) == []
    screenshot(board, "supervisor-change-state", "en", "light")
    board.get_by_label(msg("en", "wallboard.change.away").replace("{reason}", msg("en", "presence.reason.meeting"))) \
        .check()
    board.click("#change-apply")
    board.wait_for_selector("#agent-state-dialog:not([open])", state="attached")
    assert board.evaluate("document.activeElement.dataset.changeState") == str(cai["id"])
    board.wait_for_function(
        "text => document.getElementById('live-status').textContent === text",
        arg=f"Cai Changed is now Away: {msg('en', 'presence.reason.meeting')}.",
    )
    assert msg("en", "presence.reason.meeting") in row(board, cai["id"]).inner_text()
    agent_console.wait_for_function(
        "text => document.getElementById('state-chip').textContent.includes(text)",
        arg=msg("en", "presence.reason.meeting"),
    )
    # The agent is told that a supervisor made the change, in a notice that stays and said politely.
    set_by = msg("en", "presence.set_by.away_reason").replace("{reason}", msg("en", "presence.reason.meeting"))
    agent_console.locator("#notices .notice--info", has_text=set_by).wait_for(timeout=5_000)
    agent_console.wait_for_function(
        "text => document.getElementById('live-status').textContent === text", arg=set_by)
    audit = admin.get("/api/audit?action=agent.presence")["items"]
    assert any(entry["target_id"] == str(cai["id"]) and entry["actor_username"] == "super" for entry in audit)

    # The caller ringing Ben hangs up while call 3 waits: Ben is free again, so call 3 rings him at once.
    follow(server, pbx_token, second, "ended", UNKNOWN)
    board.wait_for_selector(f'#waiting-table tr[data-call-id="{answer2["call_id"]}"]', state="detached")
    offered = board.locator(f'#waiting-table tr[data-call-id="{answer3["call_id"]}"]')
    offered.filter(has_text="Ringing Ben Free").wait_for(timeout=5_000)
    rerouted = board.locator(f'#decision-list li[data-call-id="{answer3["call_id"]}"][data-rule="longest_waiting"]')
    rerouted.wait_for(timeout=5_000)
    assert msg("en", "routing.rule.longest_waiting").replace("{agent}", "Ben Free") in rerouted.inner_text()
    # That caller hangs up too. Only routing ever rang Ben (the PBX never named him), and he is
    # available again all the same; the caller who was answered leaves Ann in wrap-up.
    follow(server, pbx_token, third, "ended", UNKNOWN.replace("4444", "5555"))
    follow(server, pbx_token, first, "ended", KNOWN)
    board.wait_for_selector(f'#waiting-table tr[data-call-id="{answer3["call_id"]}"]', state="detached")
    board.wait_for_selector(f'#active-table tr[data-call-id="{answer["call_id"]}"]', state="detached")
    board.wait_for_selector(f'#agent-board tr[data-user-id="{ann["id"]}"][data-state="wrap_up"]')
    board.wait_for_selector(f'#agent-board tr[data-user-id="{ben["id"]}"][data-state="available"]')
    assert board.evaluate("window.__loaded === true") and agent_console.evaluate("window.__loaded === true")
    assert board.errors == [] and agent_console.errors == []


@pytest.fixture(scope="module")
def busy_board(server: Server, pbx_token: str) -> Iterator[dict[str, Any]]:
    """A queue whose one skilled agent is away, with a call waiting in it and its decision."""
    admin = Api(server.url, "admin")
    skill, queue = new_queue(admin)
    agent = new_agent(admin, skill["id"], "Dee Dozing")
    Api(server.url, agent["username"]).post("/api/me/presence", {"presence": "away", "reason": "lunch"})
    pbx_call, answer = ring(server, pbx_token, queue["key"], "+8613977778888")
    assert answer["action"] == "queue", answer
    yield {"queue": queue, "agent": agent, "call_id": answer["call_id"]}
    follow(server, pbx_token, pbx_call, "ended", "+8613977778888")


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("locale", ["en", "zh-Hans"])
def test_the_board_with_calls_is_accessible_and_fits(
    browser: Any, server: Server, busy_board: dict[str, Any], locale: str, theme: str
) -> None:
    context = new_context(browser, locale, theme, bypass_csp=True)  # axe-core is injected inline
    page = context.new_page()
    errors = watch_errors(page)
    log_in(page, server.url, "super", "/supervisor")
    wait_connected(page)
    page.wait_for_selector(f'#waiting-table tr[data-call-id="{busy_board["call_id"]}"]')
    page.wait_for_selector(f'#decision-list li[data-call-id="{busy_board["call_id"]}"]')
    name_zh = busy_board["queue"]["name_zh"]
    if locale == "zh-Hans":
        assert name_zh in page.inner_text(f'#queue-table tr[data-queue="{busy_board["queue"]["key"]}"]')
    assert run_axe(page) == []
    assert horizontal_overflow(page) == 0
    screenshot(page, "supervisor-live", locale, theme)
    page.set_viewport_size({"width": 1920, "height": 1080})
    assert horizontal_overflow(page) == 0
    screenshot(page, "supervisor-live", locale, theme)
    page.set_viewport_size(VIEWPORT)
    page.click(f'[data-change-state="{busy_board["agent"]["id"]}"]')
    page.wait_for_selector("#agent-state-dialog[open]")
    assert run_axe(page) == []
    page.keyboard.press("Escape")
    page.wait_for_selector("#agent-state-dialog:not([open])", state="attached")
    assert errors == []
    context.close()


def test_every_visible_string_of_the_live_board_is_from_the_catalog(
    browser: Any, server: Server, busy_board: dict[str, Any]
) -> None:
    context = new_context(browser, "en")
    page = context.new_page()
    log_in(page, server.url, "super", "/supervisor")
    page.goto(f"{server.url}/supervisor?locale=pseudo")
    wait_connected(page)
    page.wait_for_selector(f'#decision-list li[data-call-id="{busy_board["call_id"]}"]')
    page.click(f'[data-change-state="{busy_board["agent"]["id"]}"]')
    page.wait_for_selector("#agent-state-dialog[open]")
    assert untranslated(page.content(), {"callcenter", "Sam Supervisor", "super"}) == []
    context.close()


BOARD_SCRIPT = """
async () => {
  const b = await import("/static/js/board.js");
  const agent = (extra) => ({ user_id: 7, username: "u7", display_name: "Una", presence: "available", reason: null,
                              since: 1000, work: "idle", call_id: null, work_since: 1000, queue: null,
                              occupancy: 0.5, missed_in_row: 0, ...extra });
  const board = { now: 5000, queues: [{ key: "q", name: "Q", name_zh: null, service_level_s: 20 }],
                  waiting: [{ call_id: 1, queue: "q", state: "waiting", enqueued_at: 4000, attempts: 0,
                              agent_id: null }],
                  active: [], agents: [agent({})], decisions: [{ id: 3 }] };
  // A push overtakes a fetch that started before it: the fetched board must not undo it.
  let pushed = b.applyAgentState(board, { user_id: 7, presence: "available", since: 1000, work: "ringing",
                                          call_id: 1, work_since: 6000, wrap_up: null, missed_in_row: 0 });
  pushed = b.applyRoutingCall(pushed, { call_id: 1, state: "ringing", agent_id: 7 }, 6000);
  pushed = b.applyDecision(pushed, { id: 4 });
  pushed = b.applyDecision(pushed, { id: 4 });
  const stale = { ...board, now: 5500 };
  const merged = b.mergeFetched(pushed, stale);
  const fresher = b.mergeFetched(merged, { ...board, now: 7000, decisions: [{ id: 4 }, { id: 3 }],
    agents: [agent({ work: "on_call", call_id: 1, work_since: 6500, occupancy: 0.6 })] });
  // The call is answered, then ends: it leaves the waiting line, joins the active calls, then leaves them.
  const answered = b.applyCallUpdate(pushed, { id: 1, state: "answered", queue: "q", agent_id: 7, started_at: 4000,
                                               answered_at: 6200, on_hold_since: null,
                                               number_masked: "+86 139 **** 1" });
  const ended = b.applyCallUpdate(answered, { id: 1, state: "ended" });
  const gone = b.applyRoutingCall(pushed, { call_id: 1, state: "gone" }, 6100);
  return {
    pushedWaiting: pushed.waiting[0], decisions: pushed.decisions.map((d) => d.id),
    mergedAgent: merged.agents[0], mergedDecisions: merged.decisions.map((d) => d.id),
    fresherAgent: fresher.agents[0],
    answeredActive: answered.active, answeredWaiting: answered.waiting.length, endedActive: ended.active.length,
    goneWaiting: gone.waiting.length, rows: b.queueRows(pushed).map((r) => [r.queue.key, r.waiting, r.oldest]),
  };
}
"""


def test_the_board_model_keeps_pushes_that_overtake_a_fetch(browser: Any, server: Server) -> None:
    context = new_context(browser, "en")
    page = context.new_page()
    page.goto(f"{server.url}/login")
    result = page.evaluate(BOARD_SCRIPT)
    assert result["pushedWaiting"]["state"] == "ringing" and result["pushedWaiting"]["agent_id"] == 7
    assert result["decisions"] == [4, 3]
    # The fetch began before the push: the agent stays ringing, occupancy comes from the fetch.
    assert (result["mergedAgent"]["work"], result["mergedAgent"]["occupancy"]) == ("ringing", 0.5)
    assert result["mergedDecisions"] == [4, 3]
    # A later fetch wins.
    assert (result["fresherAgent"]["work"], result["fresherAgent"]["occupancy"]) == ("on_call", 0.6)
    assert [(c["call_id"], c["state"], c["agent_id"]) for c in result["answeredActive"]] == [(1, "answered", 7)]
    assert result["answeredWaiting"] == 0 and result["endedActive"] == 0 and result["goneWaiting"] == 0
    assert result["rows"] == [["q", 1, 4000]]
    context.close()
