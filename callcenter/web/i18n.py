"""Message catalogs shared by jinja2 templates and the browser, locale negotiation, pseudo-locale."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

LOCALES = ("en", "zh-Hans")
PSEUDO = "pseudo"
PSEUDO_OPEN, PSEUDO_CLOSE = "⟦", "⟧"
_PARAM = re.compile(r"\{(\w+)\}")


@cache
def catalog(locale: str) -> dict[str, str]:
    """The flat key → message map of a locale; the pseudo-locale wraps every English message."""
    if locale == PSEUDO:
        return {k: pseudo(v) for k, v in catalog("en").items()}
    if locale not in LOCALES:
        locale = "en"
    text = resources.files("callcenter.web").joinpath("i18n", f"{locale}.json").read_text(encoding="utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def pseudo(message: str) -> str:
    """Mark a message so a test can tell translated text from text that skipped the catalog."""
    parts = _PARAM.split(message)
    # Parameters stay intact; only the literal text between them is accented and marked.
    out = [p.translate(_ACCENTS) if i % 2 == 0 else "{" + p + "}" for i, p in enumerate(parts)]
    return PSEUDO_OPEN + "".join(out) + PSEUDO_CLOSE


_ACCENTS = str.maketrans("aeiouAEIOU", "àéîöüÀÉÎÖÜ")


def negotiate(accept_language: str | None, preferred: str | None = None) -> str:
    """The user's own setting first, then the browser's languages (``zh*`` → zh-Hans), else English."""
    if preferred in LOCALES or preferred == PSEUDO:
        return preferred
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-Hans"
        if tag.startswith("en"):
            return "en"
    return "en"


def translate(locale: str, key: str, **params: Any) -> str:
    """Look a key up and fill its ``{name}`` parameters; ``count`` picks ``.one``/``.other``."""
    messages = catalog(locale)
    if "count" in params and f"{key}.other" in messages:
        plural = "one" if params["count"] == 1 and locale != "zh-Hans" else "other"
        key = f"{key}.{plural}"
    try:
        message = messages[key]
    except KeyError:
        raise KeyError(f"message {key!r} is missing from the {locale} catalog") from None
    return _PARAM.sub(lambda m: str(params.get(m.group(1), m.group(0))), message)


def html_lang(locale: str) -> str:
    """The value for ``<html lang>``."""
    return "zh-Hans" if locale == "zh-Hans" else "en"
