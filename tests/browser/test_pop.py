"""The screen pop in Chromium: a PBX posts call events to a real server, the agent's console rings and shows who calls.

Each test signs in its own agent and posts calls that ring only that agent, with numbers no other
test uses, so the tests share one server without seeing each other's calls. Notifications and the
ring tone are recorded by stubs installed before the page's scripts (``RING_STUBS``).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.browser.conftest import Server
from tests.browser.helpers import (
    VIEWPORT,
    Api,
    horizontal_overflow,
    msg,
    post_call_event,
    run_axe,
    screenshot,
    tone_playing,
    wait_connected,
)
from tests.web.test_pseudo_locale import untranslated

pytestmark = pytest.mark.browser

TOP_FOLD = 320  # px: the ringing card and how the caller matched must be visible without scrolling


@pytest.fixture
def console(pages: Any) -> Any:
    """Open pages as an agent: ``console(username, locale=…, theme=…)`` gives a signed-in, connected console."""
    def open_console(username: str, locale: str = "en", theme: str = "light", **options: Any) -> Any:
        return pages(username, "/", locale, theme, **options)

    return open_console


def ring(server: Server, token: str, agent: str, number: str, **extra: Any) -> tuple[str, int]:
    """Post a ringing inbound call for ``agent``; returns the PBX's call id and ours."""
    call_id = f"pop-{uuid.uuid4().hex[:12]}"
    answer = post_call_event(server.url, token, {
        "event": "ringing", "call_id": call_id, "direction": "inbound", "from": number, "to": "4000",
        "agents": [agent], **extra,
    })
    assert answer["popped"], answer
    return call_id, int(answer["call_id"])


def follow(server: Server, token: str, call_id: str, event: str, number: str, **extra: Any) -> None:
    post_call_event(server.url, token, {
        "event": event, "call_id": call_id, "direction": "inbound", "from": number, "to": "4000", **extra,
    })


def alert_text(page: Any) -> str:
    return str(page.evaluate("document.getElementById('live-alert').textContent"))


def wait_alert(page: Any, text: str) -> None:
    page.wait_for_function("text => document.getElementById('live-alert').textContent === text", arg=text)


def test_a_ringing_call_pops_name_tier_alert_notification_and_tone(
    console: Any, server: Server, pbx_token: str
) -> None:
    agent = Api(server.url, "ringer")
    customer = agent.post("/api/customers", {
        "name": "王芳", "company": "华东贸易", "language": "zh-Hans", "timezone": "Asia/Shanghai",
        "phones": [{"raw": "+86 138 0013 8001"}], "notes": "只在上午来电", "notes_important": True,
    })
    admin = Api(server.url, "admin")
    today = datetime.now(UTC).date().isoformat()
    admin.post("/api/orders/bulk", {"items": [
        {"customer_id": customer["id"], "at": today, "amount_cents": 90_000_000, "external_id": f"pop-{uuid.uuid4()}"},
    ]})
    admin.post("/api/customers/values/recompute", {})
    assert agent.get(f"/api/customers/{customer['id']}/card")["tier"] == "A"

    page = console("ringer")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    _, call = ring(server, pbx_token, "ringer", "+8613800138001", queue="sales", ivr="2")

    page.wait_for_selector(f'#call-card-body[data-call-id="{call}"][data-state="ringing"]', timeout=1_000)
    assert page.inner_text("#call-who") == "王芳"
    assert msg("en", "pop.match.exact") in page.inner_text("#call-match")
    assert "138 0013 8001" in page.inner_text("#call-match")
    tier = page.inner_text("#call-tier")
    assert "A" in tier and "top 80 % of revenue" in tier
    assert msg("en", "pop.state.ringing") in page.inner_text("#call-state")
    assert re.search(r"\d+:\d\d", page.inner_text("#call-state [role=timer]"))
    assert "sales" in page.inner_text("#call-card") and "2" in page.inner_text("#call-card")
    # The customer panel paints from the pop alone.
    assert page.inner_text("#customer-name") == "王芳"
    assert "只在上午来电" in page.inner_text("#customer-important")
    assert msg("en", "pop.tickets.empty") in page.inner_text("#customer-tickets")
    assert msg("en", "pop.callbacks.empty") in page.inner_text("#customer-callbacks")

    wait_alert(page, "Incoming call, 王芳, tier A")
    notifications = page.evaluate("window.__notifications.map(n => ({title: n.title, body: n.body, closed: n.closed}))")
    assert len(notifications) == 1 and notifications[0]["title"] == msg("en", "pop.notify.title")
    assert "王芳" in notifications[0]["body"] and not notifications[0]["closed"]
    assert tone_playing(page)
    assert page.title() == "● Call — 王芳"
    # Message to paint, by the page's own marks.
    spent = page.evaluate(
        "performance.measure('pop', 'pop-received', 'pop-painted').duration"
    )
    assert spent < 100
    # Nothing that arrives takes focus; the card and its match are in the top of the screen.
    assert page.evaluate("document.activeElement === document.body")
    box = page.locator("#call-match").bounding_box()
    assert box["y"] + box["height"] <= TOP_FOLD
    assert page.locator("#recent-list [data-call-id]").first.get_attribute("data-call-id") == str(call)
    screenshot(page, "pop-ringing", "en", "light")
    assert page.errors == []


def test_unknown_caller_quick_create_by_keys(console: Any, server: Server, pbx_token: str) -> None:
    page = console("newcaller", bypass_csp=True)  # axe-core is injected inline
    number = "+8613700000002"
    _, call = ring(server, pbx_token, "newcaller", number)
    page.wait_for_selector("#new-caller")
    assert msg("en", "pop.match.none") in page.inner_text("#call-match")
    assert page.inner_text("#new-caller-national") == "137 0000 0002"
    assert page.inner_text("#new-caller-e164") == number
    wait_alert(page, "Incoming call, 137 0000 0002")

    # A key the pinyin input method is composing does nothing; the real N opens the form.
    page.evaluate(
        "document.body.dispatchEvent(new KeyboardEvent('keydown', "
        "{code: 'KeyN', key: 'n', isComposing: true, bubbles: true}))"
    )
    assert page.locator("#quick-create").count() == 0
    page.keyboard.press("n")
    page.wait_for_selector("#quick-create")
    assert page.evaluate("document.activeElement.id") == "qc-name"
    page.keyboard.type("李雷")
    page.select_option("#qc-language", "zh-Hans")
    page.fill("#qc-company", "东方公司")
    page.focus("#qc-company")
    assert run_axe(page) == []
    screenshot(page, "pop-new-caller", "en", "light")
    page.keyboard.press("Control+Enter")

    page.wait_for_selector("#customer-name")
    assert page.inner_text("#customer-name") == "李雷"
    assert page.inner_text("#call-who") == "李雷"
    assert msg("en", "pop.match.created") in page.inner_text("#call-match")
    assert page.evaluate("document.activeElement.id") == "customer-heading"
    stored = Api(server.url, "newcaller").get(f"/api/calls/{call}")
    assert stored["customer_id"] is not None and stored["match"]["kind"] == "created"
    card = Api(server.url, "newcaller").get(f"/api/customers/{stored['customer_id']}/card")
    assert card["name"] == "李雷" and card["company"] == "东方公司" and card["language"] == "zh-Hans"
    assert [p["e164"] for p in card["phones"]] == [number]
    assert page.errors == []


def test_unknown_caller_added_to_an_existing_customer_and_withheld_callers(
    console: Any, server: Server, pbx_token: str
) -> None:
    agent = Api(server.url, "finder")
    existing = agent.post("/api/customers", {"name": "Ferdinand Fixture", "company": "Fixture Works",
                                             "phones": [{"raw": "+8613700000012"}]})
    page = console("finder")
    number = "+8613700000022"
    _, call = ring(server, pbx_token, "finder", number)
    page.wait_for_selector("#new-caller")
    page.click("#add-existing")
    assert page.evaluate("document.activeElement.id") == "customer-search"
    page.keyboard.type("Ferdinand")
    page.wait_for_selector(f'#search-results [data-customer-id="{existing["id"]}"]')
    page.click(f'#search-results [data-customer-id="{existing["id"]}"]')
    page.wait_for_selector(f'.profile[data-customer-id="{existing["id"]}"]')
    assert page.inner_text("#call-who") == "Ferdinand Fixture"
    assert agent.get(f"/api/calls/{call}")["customer_id"] == existing["id"]
    phones = [p["e164"] for p in agent.get(f"/api/customers/{existing['id']}")["phones"]]
    assert sorted(phones) == ["+8613700000012", number]

    # A withheld number: nothing to look up, nothing to create from it.
    _, hidden = ring(server, pbx_token, "finder", "anonymous")
    page.wait_for_selector(f'#call-card-body[data-call-id="{hidden}"]')
    assert page.inner_text("#call-who") == msg("en", "pop.match.withheld")
    assert msg("en", "pop.match.withheld") in page.inner_text("#withheld")
    page.keyboard.press("n")
    assert page.locator("#quick-create, #new-customer").count() == 0
    wait_alert(page, "Incoming call, Number withheld")
    assert page.errors == []


def test_several_candidates_pick_by_digit(console: Any, server: Server, pbx_token: str) -> None:
    agent = Api(server.url, "chooser")
    shared = "+86 136 0000 0003"
    first = agent.post("/api/customers", {"name": "赵敏", "company": "北方公司", "phones": [{"raw": shared}]})
    second = agent.post("/api/customers", {"name": "周芷若", "phones": [{"raw": shared}]})
    page = console("chooser", bypass_csp=True)  # axe-core is injected inline
    _, call = ring(server, pbx_token, "chooser", "+8613600000003")

    page.wait_for_selector(".candidates__list")
    assert msg("en", "pop.match.several.other").replace("{count}", "2") in page.inner_text("#call-match")
    rows = page.locator(".candidate")
    assert rows.count() == 2
    ids = [int(rows.nth(i).get_attribute("data-customer-id")) for i in range(2)]
    assert sorted(ids) == sorted([first["id"], second["id"]])
    wait_alert(page, "Incoming call, 2 customers share this number")
    assert run_axe(page) == []
    screenshot(page, "pop-candidates", "en", "light")

    page.keyboard.press("1")
    page.wait_for_selector(f'.profile[data-customer-id="{ids[0]}"]')
    assert msg("en", "pop.match.picked") in page.inner_text("#call-match")
    stored = agent.get(f"/api/calls/{call}")
    assert stored["customer_id"] == ids[0] and stored["match"]["kind"] == "picked"
    assert page.errors == []


def test_answered_then_ended_shows_talk_timer_then_outcome_and_notes_save(
    console: Any, server: Server, pbx_token: str
) -> None:
    Api(server.url, "talker").post("/api/customers", {"name": "Tom Talkative", "phones": [{"raw": "+8613500000004"}]})
    page = console("talker")
    page.clock.install()
    page.reload()
    wait_connected(page)
    number = "+8613500000004"
    call_id, call = ring(server, pbx_token, "talker", number)
    page.wait_for_selector('#call-card-body[data-state="ringing"]')
    assert tone_playing(page)

    follow(server, pbx_token, call_id, "answered", number, agent="talker")
    page.wait_for_selector('#call-card-body[data-state="answered"]')
    assert msg("en", "pop.state.answered") in page.inner_text("#call-state")
    assert not tone_playing(page)
    assert page.title() == msg("en", "app.title").replace("{page}", msg("en", "console.title"))
    assert page.evaluate("window.__notifications.every(n => n.closed)")
    page.clock.run_for(5_000)
    talk = page.inner_text("#call-state [role=timer]")
    assert re.fullmatch(r"0:0[4-9]", talk), talk  # 5 s on, less the skew between the clocks

    # Notes save by themselves a moment after typing stops.
    page.fill("#call-notes", "Wants the invoice again")
    page.clock.run_for(1_000)
    page.wait_for_function(
        "text => document.getElementById('call-notes-status').textContent === text", arg=msg("en", "pop.notes.saved")
    )
    assert Api(server.url, "talker").get(f"/api/calls/{call}")["notes"] == "Wants the invoice again"

    follow(server, pbx_token, call_id, "ended", number, cause="normalClearing")
    page.wait_for_selector('#call-card-body[data-state="ended"]')
    assert re.search(r"Ended after 0:\d\d talking", page.inner_text("#call-state"))
    assert not tone_playing(page)
    assert page.input_value("#call-notes") == "Wants the invoice again"
    item = page.locator(f'#recent-list [data-call-id="{call}"]')
    assert msg("en", "pop.state.ended") in item.inner_text()
    assert "Tom Talkative" in item.inner_text()

    # A call the agent missed rings, then stops, and says so.
    missed_id, missed = ring(server, pbx_token, "talker", "+8613500000014")
    page.wait_for_selector(f'#call-card-body[data-call-id="{missed}"][data-state="ringing"]')
    assert tone_playing(page)
    follow(server, pbx_token, missed_id, "ended", "+8613500000014", cause="noAnswer")
    page.wait_for_selector(f'#call-card-body[data-call-id="{missed}"]:not([data-state="ringing"])')
    assert not tone_playing(page)
    # A colleague's transfer pops with the earlier leg's notes up front.
    Api(server.url, "talker").call("PATCH", f"/api/calls/{call}", {"notes": "Wants the invoice again"})
    leg_id, leg = ring(server, pbx_token, "talker", number, parent_call_id=call_id)
    page.wait_for_selector(f'#call-card-body[data-call-id="{leg}"]')
    leg_text = page.inner_text("#earlier-leg")
    assert "Tao Talker" in leg_text and "Wants the invoice again" in leg_text
    follow(server, pbx_token, leg_id, "ended", number)
    # Opening the earlier call from the recent list brings its card and notes back.
    item.click()
    page.wait_for_selector(f'#call-card-body[data-call-id="{call}"]')
    assert page.input_value("#call-notes") == "Wants the invoice again"
    assert page.errors == []


def test_a_reload_while_ringing_keeps_the_card_and_rings_again(console: Any, server: Server, pbx_token: str) -> None:
    page = console("reloader")
    call_id, call = ring(server, pbx_token, "reloader", "+8613400000005", queue="support")
    page.wait_for_selector(f'#call-card-body[data-call-id="{call}"][data-state="ringing"]')
    page.reload()
    wait_connected(page)
    page.wait_for_selector(f'#call-card-body[data-call-id="{call}"][data-state="ringing"]')
    assert "support" in page.inner_text("#call-card")
    assert page.inner_text("#new-caller-national") == "134 0000 0005"
    wait_alert(page, "Incoming call, 134 0000 0005")
    assert tone_playing(page)
    assert page.title().startswith("● ")

    # Notes typed and not yet saved survive a reload: the tab keeps a draft and saves it.
    follow(server, pbx_token, call_id, "answered", "+8613400000005", agent="reloader")
    page.wait_for_selector('#call-card-body[data-state="answered"]')
    page.fill("#call-notes", "Asked for a callback tomorrow")
    page.reload()
    wait_connected(page)
    page.wait_for_selector(f'#call-card-body[data-call-id="{call}"][data-state="answered"]')
    assert page.input_value("#call-notes") == "Asked for a callback tomorrow"
    page.wait_for_function(
        "text => document.getElementById('call-notes-status').textContent === text", arg=msg("en", "pop.notes.saved")
    )
    assert Api(server.url, "reloader").get(f"/api/calls/{call}")["notes"] == "Asked for a callback tomorrow"
    assert page.errors == []


def test_a_customer_name_with_markup_stays_text(console: Any, server: Server, pbx_token: str) -> None:
    name = "<img src=x onerror=alert(1)>"
    Api(server.url, "guard").post("/api/customers", {"name": name, "company": "<b>bold</b>",
                                                    "phones": [{"raw": "+8613300000006"}]})
    page = console("guard")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    ring(server, pbx_token, "guard", "+8613300000006")
    page.wait_for_selector("#customer-name")
    assert page.inner_text("#call-who") == name
    assert page.inner_text("#customer-name") == name
    assert name in page.inner_text("#recent-calls")
    assert page.locator("#call-card img, #customer-panel img, #recent-calls img, #customer-panel b").count() == 0
    wait_alert(page, f"Incoming call, {name}, tier C")
    assert page.title() == f"● Call — {name}"
    assert dialogs == []
    assert page.errors == []


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("locale", ["en", "zh-Hans"])
def test_the_console_with_a_ringing_card_is_accessible_and_fits(
    console: Any, server: Server, pbx_token: str, locale: str, theme: str
) -> None:
    username = f"auditor-{locale}"
    number = {("en", "light"): "+8613200000007", ("en", "dark"): "+8613200000017",
              ("zh-Hans", "light"): "+8613200000027", ("zh-Hans", "dark"): "+8613200000037"}[locale, theme]
    Api(server.url, username).post("/api/customers", {
        "name": "Lucía Fernández-Østergaard de la Vega y Montenegro", "language": "es", "timezone": "Europe/Madrid",
        "company": "Very Long Company Name Holdings International Limited", "phones": [{"raw": number}],
        "notes": "Prefers email follow-ups",
    })
    page = console(username, locale, theme, bypass_csp=True)  # axe-core is injected inline
    call_id, call = ring(server, pbx_token, username, number, queue="billing", ivr="3")
    page.wait_for_selector(f'#call-card-body[data-call-id="{call}"][data-state="ringing"]')
    assert page.get_attribute("html", "lang") == locale
    assert msg(locale, "pop.match.exact") in page.inner_text("#call-match")
    assert msg(locale, "pop.tickets.empty") in page.inner_text("#customer-tickets")
    box = page.locator("#call-match").bounding_box()
    assert box["y"] + box["height"] <= TOP_FOLD
    assert run_axe(page) == []
    assert horizontal_overflow(page) == 0
    screenshot(page, "pop-console", locale, theme)
    page.set_viewport_size({"width": 1920, "height": 1080})
    assert horizontal_overflow(page) == 0
    screenshot(page, "pop-console", locale, theme)
    page.set_viewport_size(VIEWPORT)
    # On the call, and after it: other colours, the notes field.
    follow(server, pbx_token, call_id, "answered", number, agent=username)
    page.wait_for_selector(f'#call-card-body[data-call-id="{call}"][data-state="answered"]')
    assert run_axe(page) == []
    screenshot(page, "pop-on-call", locale, theme)
    follow(server, pbx_token, call_id, "ended", number)
    page.wait_for_selector(f'#call-card-body[data-call-id="{call}"][data-state="ended"]')
    assert run_axe(page) == []
    assert horizontal_overflow(page) == 0
    assert page.errors == []


def test_every_string_of_the_pop_is_from_the_catalog(console: Any, server: Server, pbx_token: str) -> None:
    agent = Api(server.url, "polyglot")
    number = "+8613100000009"
    agent.post("/api/customers", {"name": "王芳芳", "company": "华南公司", "language": "zh-Hans",
                                  "timezone": "Asia/Shanghai", "phones": [{"raw": number}], "notes": "老客户",
                                  "notes_important": True})
    page = console("polyglot")
    page.goto(f"{server.url}/?locale=pseudo")
    wait_connected(page)
    _, call = ring(server, pbx_token, "polyglot", number, queue="sales", ivr="2")
    page.wait_for_selector(f'#call-card-body[data-call-id="{call}"]')
    _, unknown = ring(server, pbx_token, "polyglot", "+8613100000019")
    page.click(f'#recent-list [data-call-id="{unknown}"]')
    page.wait_for_selector("#new-caller")
    page.keyboard.press("n")
    page.wait_for_selector("#quick-create")
    hits = untranslated(page.content(), {"callcenter", "Pam Polyglot", "王芳芳", "华南公司", "老客户", "sales"})
    assert hits == []
    page.keyboard.press("Escape")
    page.click(f'#recent-list [data-call-id="{call}"]')
    page.wait_for_selector("#customer-name")
    hits = untranslated(page.content(), {"callcenter", "Pam Polyglot", "王芳芳", "华南公司", "老客户", "sales"})
    assert hits == []
