"""Browser tests: a real ``callcenter serve`` on 127.0.0.1 and Debian's Chromium through Playwright.

Chromium comes from the system (``/usr/bin/chromium``), never from ``playwright install``. Without
it these tests are skipped, except under CI (``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import (
    PASSWORD,
    RING_STUBS,
    ROOT,
    log_in,
    new_context,
    wait_connected,
    watch_errors,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VENDOR_PROBE = ROOT / "static" / "vendor" / "lit-html" / "lit-html.js"

# username → (role, display name); each test that changes a user's state has its own user.
USERS = {
    "agent": ("agent", "Alice Agent"),
    "presence": ("agent", "Peter Presence"),
    "leaver": ("agent", "Lena Leaver"),
    "linguist": ("agent", "Lin Linguist"),
    "keys": ("agent", "Kim Keys"),
    "quick": ("agent", "Quinn Quick"),
    "wanderer": ("agent", "Wang Wanderer"),
    # The screen pop (test_pop.py): one agent per test, so pops of one test never reach another.
    "ringer": ("agent", "Rita Ringer"),
    "newcaller": ("agent", "Nick Newcaller"),
    "chooser": ("agent", "Chen Chooser"),
    "talker": ("agent", "Tao Talker"),
    "reloader": ("agent", "Rui Reloader"),
    "guard": ("agent", "Gus Guard"),
    "polyglot": ("agent", "Pam Polyglot"),
    "finder": ("agent", "Fay Finder"),
    "auditor-en": ("agent", "Aud Auditor"),
    "auditor-zh-Hans": ("agent", "Ai Auditor"),
    "super": ("supervisor", "Sam Supervisor"),
    "admin": ("admin", "Ada Admin"),
}


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One ``callcenter serve`` process over a temp database; can be stopped and started again."""

    root: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "CALLCENTER_DATABASE_URL": f"sqlite:///{self.root / 'cc.db'}",
            "CALLCENTER_HOST": "127.0.0.1",
            "CALLCENTER_PORT": str(self.port),
            "CALLCENTER_PUBLIC_URL": self.url,
            "CALLCENTER_ARGON2_MEMORY_KIB": "1024",
            "CALLCENTER_ARGON2_TIME_COST": "1",
            "CALLCENTER_LOGIN_MAX_FAILURES": "50",
            "CALLCENTER_LOG_LEVEL": "WARNING",
        }

    def cli(self, *args: str) -> str:
        command = [str(Path(sys.executable).parent / "callcenter"), *args]
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def start(self) -> None:
        log = (self.root / "server.log").open("ab")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "callcenter"), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {(self.root / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/login", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("server did not answer within 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    _require(CHROMIUM.exists(), f"{CHROMIUM} is missing (Debian package 'chromium')")
    return CHROMIUM


@pytest.fixture(scope="session")
def server(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    assert VENDOR_PROBE.exists(), "static/vendor is empty: run ./dev test (npm ci, then npm run vendor)"
    srv = Server(tmp_path_factory.mktemp("server"))
    srv.cli("migrate")
    for username, (role, display_name) in USERS.items():
        srv.cli("create-user", "--username", username, "--password", PASSWORD, "--role", role,
                "--display-name", display_name)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Any]:
    # Module scope, not session: Playwright's sync API keeps an event loop running while it is
    # open, and the async tests of the other folders need theirs.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def pbx_token(server: Server) -> str:
    """A generic telephony integration's token, one per test module."""
    out = server.cli("create-integration", "--kind", "generic", "--name", f"pbx-{uuid.uuid4().hex[:6]}")
    found = re.search(r"Bearer token \(shown only now\): (\S+)", out)
    assert found, out
    return found.group(1)


@pytest.fixture
def pages(browser: Any, server: Server) -> Iterator[Any]:
    """Signed-in, connected pages, one browser context each: ``pages(username, path, …)``; the ring
    tone and notifications are stubbed so tests can read them."""
    contexts: list[Any] = []

    def open_page(username: str, path: str = "/", locale: str = "en", theme: str = "light", **options: Any) -> Any:
        context = new_context(browser, locale, theme, **options)
        context.add_init_script(RING_STUBS)
        contexts.append(context)
        page = context.new_page()
        page.errors = watch_errors(page)
        log_in(page, server.url, username, path)
        wait_connected(page)
        page.evaluate("window.__loaded = true")
        return page

    yield open_page
    for context in contexts:
        context.close()
