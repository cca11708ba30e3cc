"""Every visible string of every page comes from the catalog: in the pseudo-locale all are ⟦marked⟧.

Text that is data, not interface, is allowed: the test users' names, the product name, numbers
and punctuation, and whatever the page marks ``translate="no"`` (codes, paths, usernames) or
``data-verbatim`` (text the server's own data supplies, such as OpenAPI summaries).
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from typing import Any

from aiohttp.test_utils import TestClient

from callcenter.accounts.models import SYSTEM, Role
from callcenter.accounts.service import AccountService
from callcenter.queues.api import QUEUES
from callcenter.queues.models import DispositionDraft, QueueSettings, SkillWant
from callcenter.web.i18n import PSEUDO_CLOSE, PSEUDO_OPEN
from tests.factories import PASSWORD, login, make_user

ADMIN = ("pseudo-admin", "Pseudo Admin")
AGENT = ("pseudo-agent", "王芳")
PRODUCT = "callcenter"
CHECKED_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
SKIPPED_ELEMENTS = {"script", "style"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def strip_marked(text: str) -> str:
    """Remove every ⟦…⟧ span, nested ones included."""
    out, depth = [], 0
    for ch in text:
        if ch == PSEUDO_OPEN:
            depth += 1
        elif ch == PSEUDO_CLOSE and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def unmarked_words(text: str, allowed: set[str]) -> str:
    """What is left of a text after marked spans and allowed data are taken out, if it has letters."""
    rest = strip_marked(text)
    for word in sorted(allowed, key=len, reverse=True):
        rest = rest.replace(word, " ")
    has_letters = any(unicodedata.category(ch).startswith("L") for ch in rest)
    return rest.strip() if has_letters else ""


class Collector(HTMLParser):
    """Collects text nodes and checked attributes outside script/style and opted-out subtrees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.found: list[tuple[str, str]] = []

    @property
    def exempt(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        skip = tag in SKIPPED_ELEMENTS or values.get("translate") == "no" or "data-verbatim" in values
        if not (self.exempt or skip):
            for name in CHECKED_ATTRIBUTES:
                if values.get(name):
                    self.found.append((f"<{tag} {name}>", str(values[name])))
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if data.strip() and not self.exempt:
            where = self.stack[-1][0] if self.stack else "document"
            self.found.append((f"<{where}> text", data))


def untranslated(html: str, allowed: set[str]) -> list[tuple[str, str]]:
    """The text nodes and attributes of a page that skipped the catalog."""
    collector = Collector()
    collector.feed(html)
    return [(where, text.strip()) for where, text in collector.found if unmarked_words(text, allowed)]


ALLOWED = {PRODUCT, *ADMIN, *AGENT}


def test_the_checker_flags_unmarked_text() -> None:
    page = (
        '<html><head><title>⟦Sîgn în⟧ · callcenter</title></head><body>'
        '<p>⟦Hî⟧</p><p>Plain words</p><span aria-label="Close">x</span>'
        '<code translate="no">GET /api</code><p>#12 · 3:04</p><script>var a = "b";</script></body></html>'
    )
    assert untranslated(page, ALLOWED) == [("<p> text", "Plain words"), ("<span aria-label>", "Close"),
                                           ("<span> text", "x")]


async def test_every_page_renders_only_catalog_text_in_the_pseudo_locale(
    client: TestClient[Any, Any], app_accounts: AccountService
) -> None:
    await make_user(app_accounts, ADMIN[0], Role.ADMIN, display_name=ADMIN[1])
    agent = await make_user(app_accounts, AGENT[0], Role.AGENT, display_name=AGENT[1])
    queues = client.app[QUEUES]
    await queues.create_skill(SYSTEM, "French", "法语")
    await queues.set_agent_skills(SYSTEM, agent.id, [SkillWant("French", 3)])
    sales = await queues.create_queue(SYSTEM, QueueSettings("sales", "Sales", skills=(SkillWant("French", 2),)))
    await queues.add_disposition(SYSTEM, sales.id, DispositionDraft("sale", "Sale", "成交", True))
    pages: dict[str, str] = {}

    response = await client.get("/login?locale=pseudo")
    assert response.status == 200
    pages["/login"] = await response.text()
    token = re.search(r'name="_csrf" value="([^"]+)"', pages["/login"])
    assert token is not None
    response = await client.post(
        "/login?locale=pseudo",
        data={"username": ADMIN[0], "password": "wrong password", "next": "/", "_csrf": token.group(1)},
    )
    assert response.status == 401
    pages["/login (error)"] = await response.text()

    csrf = await login(client, ADMIN[0], PASSWORD)
    for path in ("/", "/supervisor", "/admin/users", "/admin/users?notice=created", "/admin/audit", "/api/docs",
                 "/admin/devices", "/admin/integrations", "/admin/teams", "/customers", "/admin/skills",
                 "/admin/queues", f"/admin/queues/{sales.id}?notice=created", "/admin/calendars",
                 "/admin/numbers"):
        response = await client.get(f"{path}{'&' if '?' in path else '?'}locale=pseudo")
        assert response.status == 200, path
        pages[path] = await response.text()
    response = await client.post(
        "/admin/users?locale=pseudo",
        data={"username": "x", "display_name": "", "role": "agent", "password": "short", "_csrf": csrf},
    )
    assert response.status >= 400
    pages["/admin/users (error)"] = await response.text()

    found = {path: untranslated(html, ALLOWED) for path, html in pages.items()}
    assert {path: hits for path, hits in found.items() if hits} == {}
    # The pages really are in the pseudo-locale (a page that ignored ?locale would pass vacuously).
    for path, html in pages.items():
        assert f"{PSEUDO_OPEN}" in html and 'lang="en"' in html, path
