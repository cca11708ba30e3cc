"""Rendering jinja2 pages in the request's language, with the context every template expects."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from callcenter.web import i18n
from callcenter.web.http import session_of
from callcenter.web.keys import CLOCK, SETTINGS, TEMPLATES
from callcenter.web.security import LOGIN_CSRF_COOKIE

TEMPLATE_DIR = Path(__file__).parent / "templates"


def make_environment() -> jinja2.Environment:
    """The template environment: autoescaping on, undefined names are errors."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        enable_async=False,
        auto_reload=False,
    )


def locale_of(request: web.Request) -> str:
    """``?locale=`` first (the pseudo-locale test uses it), then the user's setting, then the browser."""
    asked = request.query.get("locale")
    if asked in (*i18n.LOCALES, i18n.PSEUDO):
        return asked
    session = session_of(request)
    preferred = session.user.locale if session else None
    return i18n.negotiate(request.headers.get("Accept-Language"), preferred)


def boot_data(request: web.Request, locale: str) -> dict[str, Any]:
    """What the console's scripts start from, embedded as JSON in the page."""
    session = session_of(request)
    assert session is not None
    user = session.user
    return {
        "user": {"id": user.id, "username": user.username, "display_name": user.display_name,
                 "role": user.role.value, "locale": user.locale},
        "locale": locale,
        "html_lang": i18n.html_lang(locale),
        "messages": i18n.catalog(locale),
        "csrf_token": session.csrf_token,
        "server_now": request.app[CLOCK].now_ms(),
        "socket_path": "/socket.io",
    }


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """Render a page; forms get the session's CSRF token (or a fresh login token, set as a cookie)."""
    locale = locale_of(request)
    session = session_of(request)
    login_token = None
    if session is not None:
        csrf = session.csrf_token
    else:
        login_token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
        csrf = login_token

    def t(key: str, **params: Any) -> str:
        return i18n.translate(locale, key, **params)

    html = request.app[TEMPLATES].get_template(template).render(
        t=t, locale=locale, html_lang=i18n.html_lang(locale), user=session.user if session else None,
        csrf_token=csrf, **context,
    )
    response = web.Response(text=html, status=status, content_type="text/html")
    if login_token is not None:
        response.set_cookie(LOGIN_CSRF_COOKIE, login_token, httponly=True, samesite="Strict", path="/",
                            secure=request.app[SETTINGS].cookie_secure)
    return response
