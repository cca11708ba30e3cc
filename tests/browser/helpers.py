"""What the browser tests share: contexts, logging in, catalog lookups, axe, screenshots."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "browser-pass-1"
SCREENS = ROOT / "artifacts" / "screens"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORT = {"width": 1366, "height": 768}
BROWSER_LOCALE = {"en": "en-US", "zh-Hans": "zh-CN"}


@cache
def catalog(locale: str) -> dict[str, str]:
    """A catalog as the server ships it (the pseudo-locale is not needed here)."""
    data: dict[str, str] = json.loads(
        (ROOT / "callcenter" / "web" / "i18n" / f"{locale}.json").read_text(encoding="utf-8")
    )
    return data


def msg(locale: str, key: str) -> str:
    """One message without parameters filled in."""
    return catalog(locale)[key]


def new_context(browser: Any, locale: str = "en", theme: str = "light", **options: Any) -> Any:
    """A context as a user with this browser language and colour scheme would have."""
    return browser.new_context(
        viewport=VIEWPORT, locale=BROWSER_LOCALE[locale], color_scheme=theme, **options
    )


def watch_errors(page: Any) -> list[str]:
    """Collect page errors and console errors (CSP refusals show up there)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda message: errors.append(f"console: {message.text}")
        if message.type == "error" and "favicon" not in message.text and "404" not in message.text
        else None,
    )
    return errors


def log_in(page: Any, base_url: str, username: str, path: str = "/") -> None:
    """Sign in through the form and land on ``path``."""
    page.goto(f"{base_url}/login?next={path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(base_url + path) + r"(\?.*)?$"))


def wait_connected(page: Any) -> None:
    """Until the connection indicator says the socket is up and the snapshot applied."""
    page.wait_for_selector('#connection[data-state="connected"]', timeout=10_000)


@contextlib.contextmanager
def console_page(browser: Any, base_url: str, username: str, locale: str = "en", **options: Any) -> Iterator[Any]:
    """A page of a fresh context, logged in as ``username`` with the console connected; the
    context is closed afterwards, also when the test fails."""
    context = new_context(browser, locale, **options)
    try:
        page = context.new_page()
        log_in(page, base_url, username)
        wait_connected(page)
        yield page
    finally:
        context.close()


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now.

    axe is injected as an inline script, so the page's context needs ``bypass_csp=True``.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def screenshot(page: Any, test: str, locale: str, theme: str) -> Path:
    """Save ``artifacts/screens/<test>-<locale>-<theme>-<w>x<h>.png``."""
    size = page.viewport_size
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{test}-{locale}-{theme}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path))
    return path


def horizontal_overflow(page: Any) -> int:
    """How many pixels the page is wider than the viewport (0: no horizontal scroll)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


class Api:
    """A signed-in HTTP client beside the browser, for setting up data as a user would through the API."""

    def __init__(self, base_url: str, username: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(f"{base_url}/login").read().decode()
        token = re.search(r'name="_csrf" value="([^"]+)"', page)
        assert token is not None
        form = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "next": "/", "_csrf": token.group(1)}
        ).encode()
        self.opener.open(urllib.request.Request(f"{base_url}/login", data=form, headers={"Origin": base_url}))
        console = self.opener.open(f"{base_url}/").read().decode()
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', console)
        assert csrf is not None, f"{username} could not sign in"
        self.csrf = csrf.group(1)

    def call(self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200, 201)) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json", "Origin": self.base_url, "X-CSRF-Token": self.csrf,
                   "Content-Type": "application/json"}
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method, headers=headers)
        try:
            with self.opener.open(request) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        assert status in expect, f"{method} {path}: {status} {raw[:500]!r}"
        return json.loads(raw) if raw else None

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self.call("POST", path, body)


def post_call_event(base_url: str, token: str, event: dict[str, Any]) -> dict[str, Any]:
    """POST one generic call event as a PBX would, with the integration's bearer token."""
    request = urllib.request.Request(
        f"{base_url}/api/telephony/events", data=json.dumps(event).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        answer: dict[str, Any] = json.loads(response.read())
    return answer


# Installed before the page's own scripts: records desktop notifications and the ring tone, grants
# notification permission, and reports the page as unfocused so that a ring notifies.
RING_STUBS = """
(() => {
  window.__notifications = [];
  class FakeNotification {
    constructor(title, options = {}) {
      this.title = title;
      this.body = options.body;
      this.tag = options.tag;
      this.closed = false;
      window.__notifications.push(this);
    }
    close() { this.closed = true; }
    static get permission() { return "granted"; }
    static requestPermission() { return Promise.resolve("granted"); }
  }
  window.Notification = FakeNotification;
  Document.prototype.hasFocus = () => false;

  window.__audio = { started: 0, stopped: 0, contexts: 0 };
  const param = () => ({ value: 0, setValueAtTime() {}, exponentialRampToValueAtTime() {},
                         linearRampToValueAtTime() {} });
  const node = (extra = {}) => ({ connect(target) { return target; }, disconnect() {}, ...extra });
  const source = (extra = {}) => node({
    start() { window.__audio.started += 1; },
    stop() { window.__audio.stopped += 1; },
    ...extra,
  });
  class FakeAudioContext {
    constructor() { window.__audio.contexts += 1; this.state = "running"; this.currentTime = 0;
                    this.destination = node(); }
    resume() { this.state = "running"; return Promise.resolve(); }
    createOscillator() { return source({ frequency: param(), type: "sine" }); }
    createConstantSource() { return source({ offset: param() }); }
    createGain() { return node({ gain: param() }); }
  }
  window.AudioContext = FakeAudioContext;
})();
"""


def tone_playing(page: Any) -> bool:
    """True while the ring tone's sources run (started more than stopped), per the stubs."""
    audio = page.evaluate("window.__audio")
    return bool(audio["started"] > audio["stopped"])
