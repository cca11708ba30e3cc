"""Inbound routing end to end in Chromium: the PBX asks, the agent works the call and wraps up, the supervisor watches.

Each test makes its own skill, queue and agent, so calls of this file are only ever offered to
that agent, whatever other tests' agents do on the shared server. Pages are marked once after
loading; the mark still being there at the end shows that nothing reloaded.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser.conftest import Server
from tests.browser.helpers import (
    PASSWORD,
    Api,
    log_in,
    msg,
    new_context,
    post_call_event,
    run_axe,
    screenshot,
    wait_connected,
)
from tests.web.test_pseudo_locale import untranslated

pytestmark = pytest.mark.browser

CALLER = "+4930901820"


@dataclass
class Desk:
    """A queue with dispositions that only this desk's agent can take."""

    queue_id: int
    key: str
    agent_id: int
    username: str
    display_name: str
    dispositions: list[dict[str, Any]]


def new_agent(admin: Api, skill_id: int, display_name: str, proficiency: int = 4) -> dict[str, Any]:
    """An agent with a skill and a phone; giving the phone also makes the server's name lookup see them now."""
    tag = uuid.uuid4().hex[:8]
    user: dict[str, Any] = admin.post("/api/users", {"username": f"flow-{tag}", "password": PASSWORD, "role": "agent",
                                                     "display_name": display_name})
    admin.call("PUT", f"/api/agents/{user['id']}/skills", {"skills": [{"skill": skill_id, "proficiency": proficiency}]})
    admin.post(f"/api/agents/{user['id']}/devices", {"kind": "extension", "value": str(int(tag, 16) % 10**8)})
    return user


def new_queue(admin: Api, **settings: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A skill of its own and a queue that needs it: (skill, queue)."""
    tag = uuid.uuid4().hex[:8]
    skill = admin.post("/api/skills", {"name": f"Flow {tag}", "name_zh": f"流程 {tag}"})
    queue = admin.post("/api/queues", {
        "key": f"flow-{tag}", "name": f"Flow sales {tag}", "name_zh": f"流程销售 {tag}",
        "skills": [{"skill": skill["id"], "min_proficiency": 2}], **settings})
    return skill, queue


def make_desk(admin: Api, display_name: str, **settings: Any) -> Desk:
    """A queue only this desk's agent can take, with two dispositions (the first resolves on first contact)."""
    skill, queue = new_queue(admin, **settings)
    user = new_agent(admin, skill["id"], display_name)
    sale = admin.post(f"/api/queues/{queue['id']}/dispositions", {
        "code": "sale", "label": "Sale made", "label_zh": "已成交", "first_contact_resolved": True})
    later = admin.post(f"/api/queues/{queue['id']}/dispositions", {
        "code": "call_back", "label": "Call back later", "label_zh": "稍后回电"})
    return Desk(queue["id"], queue["key"], user["id"], user["username"], display_name, [sale, later])




def event(call_id: str, kind: str, key: str, **extra: Any) -> dict[str, Any]:
    return {"event": kind, "call_id": call_id, "direction": "inbound", "from": CALLER, "to": "4000", "queue": key,
            **extra}


def board_row(page: Any, user_id: int, state: str) -> None:
    """Until the supervisor's agent board shows the agent in this state."""
    page.wait_for_selector(f'#agent-board tr[data-user-id="{user_id}"][data-state="{state}"]', timeout=5_000)


def not_reloaded(page: Any) -> bool:
    return bool(page.evaluate("window.__loaded === true"))


def test_a_routed_call_from_ring_to_wrap_up_as_agent_and_supervisor_see_it(
    pages: Any, server: Server, pbx_token: str
) -> None:
    admin = Api(server.url, "admin")
    desk = make_desk(admin, "Rosa Router", wrap_up_s=600)
    sale = desk.dispositions[0]

    board = pages("super", "/supervisor", bypass_csp=True)  # axe-core is injected inline
    board_row(board, desk.agent_id, "offline")
    console = pages(desk.username, bypass_csp=True)
    console.click("#go-available")
    console.wait_for_selector('#state-chip[data-presence="available"][data-work="idle"]')
    board_row(board, desk.agent_id, "available")

    # The PBX asks where the call goes: to our agent, the only one with the skill.
    pbx_call = f"flow-{uuid.uuid4().hex[:10]}"
    answer = post_call_event(server.url, pbx_token, event(pbx_call, "ringing", desk.key, route=True))
    call_id = int(answer["call_id"])
    assert (answer["action"], answer["agent"]) == ("dial", desk.username), answer
    console.wait_for_selector('#state-chip[data-work="ringing"]')
    assert msg("en", "work.ringing") in console.inner_text("#state-chip")
    board_row(board, desk.agent_id, "ringing")
    ringing = board.locator(f'#waiting-table tr[data-call-id="{call_id}"]')
    ringing.wait_for()
    assert "Ringing Rosa Router" in ringing.inner_text()
    decision = board.locator(f'#decision-list li[data-call-id="{call_id}"][data-rule="skills_longest_idle"]')
    decision.wait_for()
    assert msg("en", "routing.rule.skills_longest_idle").replace("{agent}", "Rosa Router") in decision.inner_text()
    assert "Rosa Router (skill score" in decision.locator('[data-list="candidates"]').inner_text()

    post_call_event(server.url, pbx_token, event(pbx_call, "answered", desk.key, agent=desk.username))
    console.wait_for_selector('#state-chip[data-work="on_call"]')
    console.wait_for_selector(f'#call-card-body[data-call-id="{call_id}"][data-state="answered"]')
    board_row(board, desk.agent_id, "on_call")
    board.wait_for_selector(f'#active-table tr[data-call-id="{call_id}"][data-state="answered"]')
    board.wait_for_selector(f'#waiting-table tr[data-call-id="{call_id}"]', state="detached")
    # Supervisors see the caller's number masked, never in full.
    assert "*" in board.inner_text(f'#active-table tr[data-call-id="{call_id}"]')
    assert "901820" not in board.content() and "0901820" not in board.content()

    post_call_event(server.url, pbx_token, event(pbx_call, "ended", desk.key))
    console.wait_for_selector('#state-chip[data-work="wrap_up"]')
    panel = console.locator(f'#wrap-up-panel[data-call-id="{call_id}"]')
    panel.wait_for()
    board_row(board, desk.agent_id, "wrap_up")
    board.wait_for_selector(f'#active-table tr[data-call-id="{call_id}"]', state="detached")
    # The countdown runs to the server's deadline, in the chip and the panel.
    assert re.search(r"\d+:\d\d left", console.inner_text("#state-chip"))
    assert re.search(r"\d+:\d\d left", console.inner_text("#wrap-up-time"))
    outcomes = console.locator("#wrap-up-outcomes .outcome")
    assert outcomes.count() == 2
    assert "Sale made" in outcomes.nth(0).inner_text()
    assert msg("en", "wrapup.first_contact") in outcomes.nth(0).inner_text()
    assert msg("en", "wrapup.first_contact") not in outcomes.nth(1).inner_text()
    # The wrap-up arrived on its own: it does not take the focus.
    assert not console.evaluate("document.getElementById('wrap-up-panel').contains(document.activeElement)")
    assert run_axe(console) == []
    screenshot(console, "wrap-up", "en", "light")

    # Done without an outcome: the server refuses, and the page says so at the outcomes.
    console.click("#wrap-up-done")
    console.wait_for_function(
        "text => document.getElementById('wrap-up-outcome-error').textContent === text",
        arg=msg("en", "wrapup.error.disposition"),
    )
    assert console.get_attribute("#wrap-up-outcomes input >> nth=0", "aria-invalid") == "true"
    assert console.evaluate("document.activeElement.name") == "disposition"

    # The card above shows the call, so its notes are the wrap-up's: in them, Ctrl+Shift+1 picks the
    # first outcome and Ctrl+Enter is Done.
    assert console.locator("#wrap-up-notes").count() == 0
    console.fill("#call-notes", "Ordered two licences")
    console.keyboard.press("Control+Shift+Digit1")
    assert console.is_checked(f'#wrap-up-outcome-{sale["id"]}')
    assert console.inner_text("#wrap-up-outcome-error") == ""
    console.wait_for_timeout(1_100)  # Done counts once a second: the refused click was within it
    console.keyboard.press("Control+Enter")
    panel.wait_for(state="detached")
    console.wait_for_selector('#state-chip[data-presence="available"][data-work="idle"]')
    console.wait_for_function(
        "text => document.getElementById('live-status').textContent === text",
        arg=msg("en", "wrapup.done_with").replace("{outcome}", "Sale made"),
    )
    board_row(board, desk.agent_id, "available")

    stored = admin.get(f"/api/calls/{call_id}")
    assert stored["disposition"] == "sale" and stored["notes"] == "Ordered two licences"
    # Every step reached both pages as it happened: neither was reloaded.
    assert not_reloaded(console) and not_reloaded(board)
    assert console.errors == [] and board.errors == []


def test_wrap_up_by_number_key_in_chinese_and_by_timeout(pages: Any, server: Server, pbx_token: str) -> None:
    admin = Api(server.url, "admin")
    desk = make_desk(admin, "Wu Wrapper", wrap_up_s=6)
    console = pages(desk.username, locale="zh-Hans", theme="dark", bypass_csp=True)  # axe-core is injected inline
    console.click("#go-available")
    console.wait_for_selector('#state-chip[data-presence="available"]')

    def call_through() -> int:
        pbx_call = f"flow-{uuid.uuid4().hex[:10]}"
        answer = post_call_event(server.url, pbx_token, event(pbx_call, "ringing", desk.key, route=True))
        assert answer["agent"] == desk.username, answer
        post_call_event(server.url, pbx_token, event(pbx_call, "answered", desk.key, agent=desk.username))
        console.wait_for_selector('#state-chip[data-work="on_call"]')
        post_call_event(server.url, pbx_token, event(pbx_call, "ended", desk.key))
        console.wait_for_selector("#wrap-up-panel")
        return int(answer["call_id"])

    # Dispositions read in the page's language; 2 (outside a field) picks the second, Ctrl+Enter is Done.
    first = call_through()
    assert "稍后回电" in console.inner_text("#wrap-up-outcomes")
    console.evaluate("document.activeElement && document.activeElement.blur()")
    console.keyboard.press("2")
    assert console.is_checked(f'#wrap-up-outcome-{desk.dispositions[1]["id"]}')
    console.keyboard.press("Control+Enter")
    console.wait_for_selector("#wrap-up-panel", state="detached")
    assert admin.get(f"/api/calls/{first}")["disposition"] == "call_back"

    # Left alone, the wrap-up ends at its deadline: the panel closes and the page says no outcome was recorded.
    # Meanwhile the agent looks at the earlier call: the panel then brings the wrapped call's notes.
    second = call_through()
    console.click(f'#recent-list [data-call-id="{first}"]')
    console.wait_for_selector(f'#call-card-body[data-call-id="{first}"]')
    console.fill("#wrap-up-notes", "客户要求明天回电")
    console.wait_for_function(
        "text => document.getElementById('wrap-up-notes-status').textContent === text",
        arg=msg("zh-Hans", "pop.notes.saved"),
    )
    console.wait_for_selector('#wrap-up-time[data-ending="true"]', timeout=6_000)
    assert msg("zh-Hans", "wrapup.ending") in console.inner_text("#wrap-up-time")
    # Ten seconds before the end the page says so, once and politely.
    ending = msg("zh-Hans", "wrapup.ending_soon").split("{time}")[0]
    console.wait_for_function("text => document.getElementById('live-status').textContent.startsWith(text)", arg=ending)
    assert run_axe(console) == []
    screenshot(console, "wrap-up-ending", "zh-Hans", "dark")
    console.wait_for_selector("#wrap-up-panel", state="detached", timeout=10_000)
    console.wait_for_selector('#state-chip[data-work="idle"]')
    assert msg("zh-Hans", "wrapup.timed_out") in console.inner_text("#notices")
    timed_out = admin.get(f"/api/calls/{second}")
    assert timed_out["disposition"] is None and timed_out["notes"] == "客户要求明天回电"
    assert not_reloaded(console)
    assert console.errors == []


def test_calls_left_ringing_set_the_agent_away_until_they_come_back(
    pages: Any, server: Server, pbx_token: str
) -> None:
    admin = Api(server.url, "admin")
    desk = make_desk(admin, "Mia Missed", ring_timeout_s=5, max_no_answer=1)
    board = pages("super", "/supervisor")
    console = pages(desk.username)
    console.click("#go-available")
    console.wait_for_selector('#state-chip[data-presence="available"]')

    pbx_call = f"flow-{uuid.uuid4().hex[:10]}"
    answer = post_call_event(server.url, pbx_token, event(pbx_call, "ringing", desk.key, route=True))
    assert answer["agent"] == desk.username, answer
    console.wait_for_selector('#state-chip[data-work="ringing"]')
    console.wait_for_function("() => window.__audio.started > window.__audio.stopped")  # the pop rang
    # Nobody answers: after the ring timeout the server sets the agent away for missed calls, and
    # the console stops ringing though the caller still waits (the card stays until the call ends).
    console.wait_for_selector('#state-chip[data-presence="away"]', timeout=10_000)
    console.wait_for_function("() => window.__audio.started === window.__audio.stopped")
    assert msg("en", "presence.reason.missed_calls") in console.inner_text("#state-chip")
    assert msg("en", "presence.missed_band.one").replace("{count}", "1") in console.inner_text("#missed-band")
    console.wait_for_function(
        "text => document.getElementById('live-alert').textContent === text",
        arg=msg("en", "presence.now.missed_calls.one").replace("{count}", "1"),
    )
    board_row(board, desk.agent_id, "away")
    row = board.locator(f'#agent-board tr[data-user-id="{desk.agent_id}"]')
    assert msg("en", "presence.reason.missed_calls") in row.inner_text()
    assert msg("en", "wallboard.missed.one").replace("{count}", "1") in row.inner_text()
    missed = board.locator(f'#decision-list li[data-call-id="{answer["call_id"]}"][data-rule="no_agent_free"]')
    missed.wait_for()
    assert "Mia Missed — " + msg("en", "routing.excluded.already_missed") in missed.inner_text()

    console.keyboard.press("a")
    console.wait_for_selector('#state-chip[data-presence="available"]')
    assert console.locator("#missed-band").count() == 0
    board_row(board, desk.agent_id, "available")
    post_call_event(server.url, pbx_token, event(pbx_call, "ended", desk.key))
    assert console.errors == [] and board.errors == []


def test_every_visible_string_of_the_console_in_wrap_up_is_from_the_catalog(
    browser: Any, server: Server, pbx_token: str
) -> None:
    admin = Api(server.url, "admin")
    desk = make_desk(admin, "Pia Pseudo", wrap_up_s=600)
    context = new_context(browser, "en")
    page = context.new_page()
    log_in(page, server.url, desk.username)
    page.goto(f"{server.url}/?locale=pseudo")
    wait_connected(page)
    page.click("#go-available")
    page.wait_for_selector('#state-chip[data-presence="available"]')
    pbx_call = f"flow-{uuid.uuid4().hex[:10]}"
    post_call_event(server.url, pbx_token, event(pbx_call, "ringing", desk.key, route=True))
    post_call_event(server.url, pbx_token, event(pbx_call, "answered", desk.key, agent=desk.username))
    post_call_event(server.url, pbx_token, event(pbx_call, "ended", desk.key))
    page.wait_for_selector("#wrap-up-panel")
    page.click("#wrap-up-done")  # refused: no outcome chosen, and the error is in words too
    page.wait_for_selector("#wrap-up-outcome-error:not(:empty)")
    page.click("#shortcuts-open")
    # The queue's key on the call card is the PBX's name for it, not interface text.
    assert untranslated(page.content(), {"callcenter", "Pia Pseudo", desk.username, desk.key}) == []
    context.close()
