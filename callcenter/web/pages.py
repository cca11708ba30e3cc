"""The server-rendered pages: login and logout, the console and wallboard shells, the API reference."""

from __future__ import annotations

from aiohttp import web

from callcenter.errors import RateLimited, Unauthorized
from callcenter.web.http import Policy, RouteTable, client_ip, session_of
from callcenter.web.keys import ACCOUNTS, OPENAPI, SETTINGS
from callcenter.web.render import boot_data, locale_of, render
from callcenter.web.security import SESSION_COOKIE, set_session_cookie

routes = RouteTable("pages")


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login would help phishing.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@routes.route("GET", "/login", policy=Policy.PUBLIC, summary="The login page", content_type="text/html")
async def login_page(request: web.Request) -> web.Response:
    if session_of(request) is not None:
        raise web.HTTPSeeOther(_safe_next(request.query.get("next")))
    error = "login.error.csrf" if request.query.get("error") == "csrf" else None
    return render(request, "login.html", error=error, username="", next=_safe_next(request.query.get("next")))


@routes.route("POST", "/login", policy=Policy.PUBLIC, summary="Log in with the form", form=True,
              content_type="text/html")
async def login_submit(request: web.Request) -> web.Response:
    form = await request.post()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "/")))
    try:
        token, _session = await request.app[ACCOUNTS].login(
            username, password, client_ip(request), request.headers.get("User-Agent")
        )
    except RateLimited:
        return render(request, "login.html", status=429, error="login.error.rate_limited", username=username,
                      next=target)
    except Unauthorized:
        return render(request, "login.html", status=401, error="login.error.invalid", username=username,
                      next=target)
    response = web.HTTPSeeOther(target)
    settings = request.app[SETTINGS]
    set_session_cookie(response, token, settings.cookie_secure, settings.session_ttl_s)
    raise response


@routes.route("POST", "/logout", policy=Policy.AGENT, summary="Log out (ends this session's sockets)",
              form=True, content_type="text/html")
async def logout_submit(request: web.Request) -> web.Response:
    session = session_of(request)
    if session is not None:
        await request.app[ACCOUNTS].logout(session.token_hash)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


@routes.route("GET", "/", policy=Policy.AGENT, summary="The agent console", content_type="text/html")
async def console_page(request: web.Request) -> web.Response:
    return render(request, "console.html", boot=boot_data(request, locale_of(request)))


@routes.route("GET", "/supervisor", policy=Policy.SUPERVISOR, summary="The supervisor wallboard",
              content_type="text/html")
async def supervisor_page(request: web.Request) -> web.Response:
    return render(request, "supervisor.html", boot=boot_data(request, locale_of(request)))


@routes.route("GET", "/api/openapi.json", policy=Policy.PUBLIC, summary="This API's OpenAPI 3.1 document")
async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI])


@routes.route("GET", "/api/docs", policy=Policy.AGENT, summary="The API reference page", content_type="text/html")
async def openapi_page(request: web.Request) -> web.Response:
    return render(request, "api.html", doc=request.app[OPENAPI])
