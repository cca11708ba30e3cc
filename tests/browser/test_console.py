"""The agent console in Chromium: language, connection, presence, keys, logout and reconnect."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import Server
from tests.browser.helpers import (
    console_page,
    log_in,
    msg,
    new_context,
    run_axe,
    screenshot,
    wait_connected,
    watch_errors,
)
from tests.web.test_pseudo_locale import untranslated

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale", ["en", "zh-Hans"])
def test_console_shell_in_the_browser_language(browser: Any, server: Server, locale: str) -> None:
    context = new_context(browser, locale)
    page = context.new_page()
    errors = watch_errors(page)
    log_in(page, server.url, "agent")
    wait_connected(page)

    assert page.get_attribute("html", "lang") == locale
    assert page.title() == msg(locale, "app.title").replace("{page}", msg(locale, "console.title"))
    assert page.inner_text("#call-heading") == msg(locale, "console.call.title")
    assert page.inner_text("#call-card") == msg(locale, "console.call.empty")
    assert page.inner_text("#customer-panel") == msg(locale, "console.customer.empty")
    assert page.inner_text("#tab-ticket") == msg(locale, "console.tab.ticket")
    assert page.inner_text("#recent-calls") == msg(locale, "console.recent.empty")
    assert msg(locale, "connection.connected") in page.inner_text("#connection")
    assert msg(locale, "presence.offline") in page.inner_text("#state-chip")
    # Landmarks and live regions exist from load, empty.
    assert page.locator("header").count() == 1 and page.locator("main").count() == 1
    assert page.locator("aside[aria-label]").count() == 2
    assert page.locator("#live-status[role=status]").count() == 1
    assert page.locator("#live-alert[role=alert]").inner_text() == ""
    assert errors == []
    context.close()


def test_every_visible_string_of_the_live_console_is_from_the_catalog(browser: Any, server: Server) -> None:
    context = new_context(browser, "en")
    page = context.new_page()
    log_in(page, server.url, "agent")
    page.goto(f"{server.url}/?locale=pseudo")
    wait_connected(page)
    page.click("#away-toggle")
    page.click("#shortcuts-open")
    hits = untranslated(page.content(), {"callcenter", "Alice Agent", "agent"})
    assert hits == []
    context.close()


def test_going_available_then_away_with_a_reason(browser: Any, server: Server) -> None:
    context = new_context(browser, "en")
    page = context.new_page()
    errors = watch_errors(page)
    log_in(page, server.url, "presence")
    wait_connected(page)

    page.click("#go-available")
    page.wait_for_selector('#state-chip[data-presence="available"]')
    assert msg("en", "presence.available") in page.inner_text("#state-chip")
    assert re.search(r"\d+:\d\d", page.inner_text("#state-chip [role=timer]"))
    page.wait_for_function(
        "text => document.getElementById('live-status').textContent === text",
        arg=msg("en", "presence.now.available"),
    )

    page.click("#away-toggle")
    assert page.get_attribute("#away-toggle", "aria-expanded") == "true"
    page.click('#away-reasons [data-reason="meeting"]')
    page.wait_for_selector('#state-chip[data-presence="away"]')
    assert msg("en", "presence.reason.meeting") in page.inner_text("#state-chip")
    assert page.is_hidden("#away-reasons")

    # The state is the server's: a reload shows it again from the snapshot.
    page.reload()
    wait_connected(page)
    page.wait_for_selector('#state-chip[data-presence="away"]')
    assert msg("en", "presence.reason.meeting") in page.inner_text("#state-chip")
    assert errors == []
    context.close()


def test_a_presence_chosen_while_another_is_on_its_way_follows_it(browser: Any, server: Server) -> None:
    with console_page(browser, server.url, "quick") as page:
        # "a" then "p 2" in one go: the away choice is made before "available" is answered.
        page.evaluate(
            "for (const [code, key] of [['KeyA', 'a'], ['KeyP', 'p'], ['Digit2', '2']])"
            " document.activeElement.dispatchEvent(new KeyboardEvent('keydown', {code, key, bubbles: true}))"
        )
        page.wait_for_selector('#state-chip[data-presence="away"]')
        assert msg("en", "presence.reason.lunch") in page.inner_text("#state-chip")


def test_presence_by_key_and_keys_that_must_do_nothing(browser: Any, server: Server) -> None:
    with console_page(browser, server.url, "keys") as page:
        # A key that an input method editor is composing (pinyin) is not a shortcut.
        page.evaluate(
            "document.body.dispatchEvent(new KeyboardEvent('keydown', "
            "{code: 'KeyA', key: 'a', isComposing: true, bubbles: true}))"
        )
        page.wait_for_timeout(300)
        assert page.get_attribute("#state-chip", "data-presence") == "offline"

        page.keyboard.press("a")
        page.wait_for_selector('#state-chip[data-presence="available"]')

        page.keyboard.press("p")
        assert page.get_attribute("#away-toggle", "aria-expanded") == "true"
        assert page.evaluate("document.activeElement.dataset.reason") == "break"
        page.keyboard.press("2")
        page.wait_for_selector('#state-chip[data-presence="away"]')
        assert msg("en", "presence.reason.lunch") in page.inner_text("#state-chip")
        assert page.evaluate("document.activeElement.id") == "away-toggle"

        # Esc closes the reasons and gives focus back to the button that opened them.
        page.keyboard.press("p")
        page.keyboard.press("Escape")
        assert page.is_hidden("#away-reasons")
        assert page.evaluate("document.activeElement.id") == "away-toggle"


def test_shortcut_overlay_lists_the_keymap_traps_focus_and_returns_it(browser: Any, server: Server) -> None:
    # axe-core is injected inline, so the context bypasses the page's CSP.
    with console_page(browser, server.url, "agent", bypass_csp=True) as page:
        keymap = page.evaluate("import('/static/js/keymap.js').then(m => m.KEYMAP.map(b => b.label))")

        page.focus("#shortcuts-open")
        page.keyboard.press("Enter")
        page.wait_for_selector("#shortcuts[open]")
        rows = page.locator("#shortcuts-rows tr")
        assert rows.count() == len(keymap)
        assert [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())] == [
            msg("en", label) for label in keymap
        ]
        for _ in range(6):
            page.keyboard.press("Tab")
            assert page.evaluate("document.getElementById('shortcuts').contains(document.activeElement)")
        assert run_axe(page) == []
        # Single keys do nothing while the dialog is open.
        page.keyboard.press("a")
        assert page.get_attribute("#state-chip", "data-presence") == "offline"
        page.keyboard.press("Escape")
        page.wait_for_selector("#shortcuts:not([open])", state="attached")
        assert page.evaluate("document.activeElement.id") == "shortcuts-open"

        # "?" opens it from anywhere outside a field.
        page.click("#tab-answers")
        page.keyboard.press("?")
        page.wait_for_selector("#shortcuts[open]")
        page.keyboard.press("Escape")
        assert page.evaluate("document.activeElement.id") == "tab-answers"


def test_logging_out_ends_this_tab_and_every_other_tab_of_the_session(browser: Any, server: Server) -> None:
    context = new_context(browser, "en")
    first = context.new_page()
    log_in(first, server.url, "leaver")
    wait_connected(first)
    second = context.new_page()
    with second.expect_websocket(lambda ws: "/socket.io/" in ws.url) as opened:
        second.goto(f"{server.url}/")
    socket = opened.value
    wait_connected(second)

    first.click("#logout")
    first.wait_for_url(re.compile(r"/login"))
    # The server ends the second tab's socket; the tab says so, then goes to sign-in.
    second.wait_for_selector('#connection[data-state="ended"]', timeout=10_000)
    assert second.inner_text(".band--lost").startswith(msg("en", "connection.ended"))
    for _ in range(20):
        if socket.is_closed():
            break
        second.wait_for_timeout(100)
    assert socket.is_closed(), "the second tab's websocket stayed open"
    second.wait_for_url(re.compile(r"/login"), timeout=10_000)
    # The session is gone for HTTP too.
    response = second.request.get(f"{server.url}/api/console/snapshot")
    assert response.status == 401
    context.close()


def test_theme_toggle_switches_and_is_remembered(browser: Any, server: Server) -> None:
    with console_page(browser, server.url, "agent", theme="light") as page:
        background = "getComputedStyle(document.documentElement).backgroundColor"
        light = page.evaluate(background)
        assert page.get_attribute("#theme-toggle", "aria-pressed") == "false"
        page.click("#theme-toggle")
        assert page.get_attribute("html", "data-theme") == "dark"
        assert page.get_attribute("#theme-toggle", "aria-pressed") == "true"
        dark = page.evaluate(background)
        assert dark != light
        page.reload()
        wait_connected(page)
        assert page.evaluate(background) == dark


def test_language_switch_saves_the_choice_and_reloads(browser: Any, server: Server) -> None:
    context = new_context(browser, "en")
    page = context.new_page()
    errors = watch_errors(page)
    log_in(page, server.url, "linguist")
    wait_connected(page)
    with page.expect_navigation():
        page.select_option("#locale-select", "zh-Hans")
    wait_connected(page)
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.inner_text("#call-card") == msg("zh-Hans", "console.call.empty")
    # Back to following the browser (English here).
    with page.expect_navigation():
        page.select_option("#locale-select", "")
    wait_connected(page)
    assert page.get_attribute("html", "lang") == "en"
    assert errors == []
    context.close()


def test_a_dropped_connection_shows_the_band_then_the_alert_and_recovers(browser: Any, server: Server) -> None:
    context = new_context(browser, "en")
    page = context.new_page()
    log_in(page, server.url, "wanderer")
    page.clock.install()
    page.reload()
    wait_connected(page)
    page.click("#go-available")
    page.wait_for_selector('#state-chip[data-presence="available"]')

    server.stop()
    try:
        page.wait_for_selector(".band--wait", timeout=2_000)
        assert page.inner_text(".band--wait") == msg("en", "connection.reconnecting")
        assert page.get_attribute("#connection", "data-state") == "reconnecting"
        assert page.get_attribute("#go-available", "aria-disabled") == "true"
        assert "is-stale" in (page.get_attribute("#state-chip", "class") or "")
        page.clock.run_for(16_000)
        page.wait_for_selector(".band--lost")
        page.wait_for_function(
            "text => document.getElementById('live-alert').textContent === text",
            arg=msg("en", "connection.lost_alert"),
        )
        screenshot(page, "connection-lost", "en", "light")
    finally:
        server.start()
    page.clock.run_for(30_000)
    wait_connected(page)
    assert page.locator(".band--lost, .band--wait").count() == 0
    page.wait_for_selector('#state-chip[data-presence="available"]')
    context.close()


def _socket_requests(page: Any) -> tuple[list[str], list[str]]:
    """Record the console's Socket.IO traffic: (long-polling requests, WebSocket URLs)."""
    polling: list[str] = []
    sockets: list[str] = []
    page.on("request", lambda r: polling.append(r.url) if "/socket.io/" in r.url and "transport=polling" in r.url
            else None)
    page.on("websocket", lambda ws: sockets.append(ws.url))
    return polling, sockets


def test_the_console_connects_over_a_websocket_from_the_first_request(browser: Any, server: Server) -> None:
    """One request per connection: behind several nodes, the console needs no sticky routing."""
    context = new_context(browser, "en")
    page = context.new_page()
    polling, sockets = _socket_requests(page)
    log_in(page, server.url, "agent")
    wait_connected(page)
    assert polling == []
    assert len(sockets) == 1 and "transport=websocket" in sockets[0]
    context.close()


def test_where_websockets_are_blocked_the_console_falls_back_to_long_polling(browser: Any, server: Server) -> None:
    context = new_context(browser, "en")
    # A proxy that refuses the upgrade: every WebSocket fails before it opens, as the browser reports it.
    context.add_init_script("""
      window.WebSocket = class {
        constructor() { setTimeout(() => { this.onerror?.(new Event("error")); this.onclose?.({ code: 1006 }); }, 10); }
        send() {}
        close() {}
      };
    """)
    page = context.new_page()
    polling, _ = _socket_requests(page)
    log_in(page, server.url, "agent")
    wait_connected(page)
    assert polling, "no long-polling request was made"
    context.close()
