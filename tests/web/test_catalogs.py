"""The message catalogs: both locales say the same things, and every message is used and exists.

Keys are found where they are written: ``t("key")`` in templates and scripts, key-shaped string
literals (the keymap's labels, the server's error keys), and prefixes completed at run time
(``"role." ~ x`` in jinja2, ``f"admin.users.error.{field}"`` in Python, `` `x.${y}` `` in JS).
"""

from __future__ import annotations

import ast
import json
import re
import unicodedata
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "callcenter" / "web" / "i18n"
TEMPLATES = ROOT / "callcenter" / "web" / "templates"
SCRIPTS = ROOT / "static" / "js"
PYTHON = ROOT / "callcenter"

# zh-Hans messages that rightly read the same as the English ones.
SAME_IN_BOTH = {
    "app.title": "the product name beside the page name",
    "locale.en": "each language is offered in its own name",
    "locale.zh-Hans": "each language is offered in its own name",
}
# zh-Hans messages allowed without a Chinese character.
NOT_CHINESE = set(SAME_IN_BOTH)

PARAM = re.compile(r"\{(\w+)\}")
T_CALL = re.compile(r"""\bt\(\s*(["'])([^"']+)\1""")
QUOTED = re.compile(r"""(["'`])((?:(?!\1)[^\\\n]|\\.)*)\1""")
JINJA_PREFIX = re.compile(r"""(["'])([\w.-]+\.)\1\s*~""")
JS_PREFIX = re.compile(r"`([\w.-]+\.)\$\{")
KEY_SHAPE = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_-]+)+$")
FILE_SUFFIX = re.compile(r"\.(html|js|json|css|py|sql|md|png|svg)$")
BANNED = re.compile(r"coming soon|placeholder|\btodo\b|lorem ipsum|\btbd\b|fixme", re.IGNORECASE)


@cache
def load(locale: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((I18N / f"{locale}.json").read_text(encoding="utf-8"))
    return data


def base_key(key: str) -> str:
    """``x.one``/``x.other`` are the plural forms of ``x``; other keys stand for themselves."""
    for form in (".one", ".other"):
        if key.endswith(form):
            return key[: -len(form)]
    return key


def known(key: str) -> bool:
    messages = load("en")
    return key in messages or f"{key}.other" in messages


def namespaces() -> set[str]:
    return {key.split(".")[0] for key in load("en")}


def sources(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.rglob(pattern) if "vendor" not in p.parts)


def template_and_script_files() -> list[Path]:
    return sources(TEMPLATES, "*.html") + sources(SCRIPTS, "*.js")


def t_calls() -> dict[str, set[str]]:
    """``t("key")`` in templates and scripts: key → files using it."""
    found: dict[str, set[str]] = {}
    for path in template_and_script_files():
        for match in T_CALL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(2), set()).add(str(path.relative_to(ROOT)))
    return found


def key_literals() -> dict[str, set[str]]:
    """Key-shaped string literals of templates and scripts in one of the catalog's namespaces."""
    spaces = namespaces()
    found: dict[str, set[str]] = {}
    for path in template_and_script_files():
        for match in QUOTED.finditer(path.read_text(encoding="utf-8")):
            text = match.group(2)
            if KEY_SHAPE.match(text) and text.split(".")[0] in spaces and not FILE_SUFFIX.search(text):
                found.setdefault(text, set()).add(str(path.relative_to(ROOT)))
    return found


def python_strings() -> tuple[set[str], set[str]]:
    """String constants of the server, and the literal heads of its f-strings."""
    constants: set[str] = set()
    prefixes: set[str] = set()
    for path in sources(PYTHON, "*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and node.values:
                head = node.values[0]
                if isinstance(head, ast.Constant) and isinstance(head.value, str) and head.value.endswith("."):
                    prefixes.add(head.value)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
    return constants, prefixes


def dynamic_prefixes() -> set[str]:
    """Key heads completed at run time, e.g. ``"role." ~ user.role`` or `` `x.${y}` ``."""
    prefixes = set(python_strings()[1])
    for path in sources(TEMPLATES, "*.html"):
        prefixes |= {m.group(2) for m in JINJA_PREFIX.finditer(path.read_text(encoding="utf-8"))}
    for path in sources(SCRIPTS, "*.js"):
        prefixes |= {m.group(1) for m in JS_PREFIX.finditer(path.read_text(encoding="utf-8"))}
    return prefixes


def test_both_catalogs_have_the_same_keys() -> None:
    en, zh = load("en"), load("zh-Hans")
    assert sorted(set(en) - set(zh)) == [], "missing from zh-Hans"
    assert sorted(set(zh) - set(en)) == [], "missing from en"


def test_both_catalogs_have_the_same_parameters() -> None:
    en, zh = load("en"), load("zh-Hans")
    differ = {
        key: (sorted(PARAM.findall(en[key])), sorted(PARAM.findall(zh[key])))
        for key in en
        if key in zh and sorted(PARAM.findall(en[key])) != sorted(PARAM.findall(zh[key]))
    }
    assert differ == {}


def test_plural_forms_come_in_pairs_and_take_count() -> None:
    for locale in ("en", "zh-Hans"):
        messages = load(locale)
        for key in messages:
            base = base_key(key)
            if base != key:
                assert f"{base}.one" in messages and f"{base}.other" in messages, key
                assert base not in messages, f"{base} is both a message and a plural"
        for key, message in messages.items():
            if key.endswith(".other"):
                assert "{count}" in message, f"{locale} {key}"


def test_messages_are_non_empty_and_trimmed() -> None:
    for locale in ("en", "zh-Hans"):
        for key, message in load(locale).items():
            assert message and message == message.strip(), f"{locale} {key!r}"


def test_every_key_used_in_templates_and_scripts_exists() -> None:
    missing = {key: sorted(files) for key, files in t_calls().items() if not known(key)}
    missing |= {key: sorted(files) for key, files in key_literals().items() if not known(key)}
    assert missing == {}


def test_every_key_is_used() -> None:
    used = set(t_calls()) | set(key_literals()) | python_strings()[0]
    prefixes = dynamic_prefixes()
    unused = sorted(
        key
        for key in load("en")
        if base_key(key) not in used and key not in used and not any(key.startswith(p) for p in prefixes)
    )
    assert unused == []


def test_chinese_messages_are_translated() -> None:
    en, zh = load("en"), load("zh-Hans")
    same = sorted(key for key in en if zh.get(key) == en[key] and key not in SAME_IN_BOTH)
    assert same == [], "zh-Hans equals English; translate it or list it in SAME_IN_BOTH"

    def chinese(text: str) -> bool:
        return any("CJK" in unicodedata.name(ch, "") for ch in text)

    latin_only = sorted(key for key, message in zh.items() if key not in NOT_CHINESE and not chinese(message))
    assert latin_only == []


def test_exceptions_listed_here_are_still_needed() -> None:
    en, zh = load("en"), load("zh-Hans")
    assert all(key in en and zh[key] == en[key] for key in SAME_IN_BOTH)


@pytest.mark.parametrize("folder", [I18N, TEMPLATES, SCRIPTS, ROOT / "static" / "css"], ids=lambda p: p.name)
def test_no_unfinished_work_words(folder: Path) -> None:
    hits = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "vendor" not in path.parts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BANNED.search(line)
    ]
    assert hits == []


def test_the_scanners_find_keys() -> None:
    # Guard against a scanner that silently finds nothing.
    assert len(t_calls()) > 100
    assert "keys.available" in key_literals()
    assert "admin.users.error." in dynamic_prefixes()
    assert not known("console.no_such_message")
