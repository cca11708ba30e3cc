"""HTTP routes of accounts: users (admin), one's own profile, JSON login, the audit log."""

from __future__ import annotations

from aiohttp import web

from callcenter.accounts.models import Actor
from callcenter.accounts.schemas import (
    AuditOut,
    AuditQuery,
    LocaleIn,
    LoginIn,
    MeOut,
    PasswordReset,
    UserCreate,
    UserOut,
    UserQuery,
    UserUpdate,
)
from callcenter.schemas import Ok, Page
from callcenter.web.http import (
    Policy,
    RouteTable,
    client_ip,
    json_response,
    parse_body,
    parse_query,
    path_int,
    session_of,
    user_of,
)
from callcenter.web.keys import ACCOUNTS, AUDIT, SETTINGS
from callcenter.web.security import SESSION_COOKIE, set_session_cookie

routes = RouteTable("accounts")

def actor(request: web.Request) -> Actor:
    """The audit actor of a request."""
    return Actor.of(user_of(request), client_ip(request))

@routes.route("GET", "/api/users", policy=Policy.ADMIN, summary="List users", query=UserQuery,
              response=Page[UserOut])
async def list_users(request: web.Request) -> web.Response:
    query = parse_query(request, UserQuery)
    users = await request.app[ACCOUNTS].list_users(
        after_id=query.after(), limit=query.fetch, role=query.role, q=query.q, disabled=query.disabled
    )
    page, cursor = query.cut(users, lambda u: u.id)
    return json_response(Page[UserOut](items=[UserOut.of(u) for u in page], next_cursor=cursor))

@routes.route("POST", "/api/users", policy=Policy.ADMIN, summary="Create a user", body=UserCreate,
              response=UserOut, status=201)
async def create_user(request: web.Request) -> web.Response:
    body = await parse_body(request, UserCreate)
    user = await request.app[ACCOUNTS].create_user(
        actor(request), body.username, body.password, body.role, body.display_name, body.locale
    )
    return json_response(UserOut.of(user), status=201)

@routes.route("GET", "/api/users/{id}", policy=Policy.ADMIN, summary="Read a user", response=UserOut)
async def get_user(request: web.Request) -> web.Response:
    return json_response(UserOut.of(await request.app[ACCOUNTS].get_user(path_int(request, "id"))))

@routes.route("PATCH", "/api/users/{id}", policy=Policy.ADMIN, summary="Change or disable a user",
              body=UserUpdate, response=UserOut)
async def update_user(request: web.Request) -> web.Response:
    body = await parse_body(request, UserUpdate)
    user = await request.app[ACCOUNTS].update_user(
        actor(request), path_int(request, "id"), display_name=body.display_name, role=body.role,
        locale=body.locale, disabled=body.disabled,
    )
    return json_response(UserOut.of(user))

@routes.route("POST", "/api/users/{id}/password", policy=Policy.ADMIN,
              summary="Reset a user's password (ends their sessions)", body=PasswordReset, response=Ok)
async def reset_password(request: web.Request) -> web.Response:
    body = await parse_body(request, PasswordReset)
    await request.app[ACCOUNTS].reset_password(actor(request), path_int(request, "id"), body.password)
    return json_response(Ok())

@routes.route("POST", "/api/session", policy=Policy.PUBLIC, summary="Log in with JSON (sets the cookie)",
              body=LoginIn, response=MeOut)
async def login(request: web.Request) -> web.Response:
    body = await parse_body(request, LoginIn)
    accounts = request.app[ACCOUNTS]
    token, session = await accounts.login(
        body.username, body.password, client_ip(request), request.headers.get("User-Agent")
    )
    response = json_response(MeOut(user=UserOut.of(session.user), csrf_token=session.csrf_token))
    settings = request.app[SETTINGS]
    set_session_cookie(response, token, settings.cookie_secure, settings.session_ttl_s)
    return response

@routes.route("DELETE", "/api/session", policy=Policy.AGENT, summary="Log out this session", response=Ok)
async def logout(request: web.Request) -> web.Response:
    session = session_of(request)
    if session is not None:
        await request.app[ACCOUNTS].logout(session.token_hash)
    response = json_response(Ok())
    response.del_cookie(SESSION_COOKIE, path="/")
    return response

@routes.route("GET", "/api/me", policy=Policy.AGENT, summary="The logged-in user", response=MeOut)
async def me(request: web.Request) -> web.Response:
    session = session_of(request)
    assert session is not None
    return json_response(MeOut(user=UserOut.of(session.user), csrf_token=session.csrf_token))

@routes.route("POST", "/api/me/locale", policy=Policy.AGENT, summary="Choose the language of one's screens",
              body=LocaleIn, response=UserOut)
async def set_locale(request: web.Request) -> web.Response:
    body = await parse_body(request, LocaleIn)
    user = await request.app[ACCOUNTS].set_own_locale(user_of(request), body.locale)
    return json_response(UserOut.of(user))

@routes.route("GET", "/api/audit", policy=Policy.ADMIN, summary="The audit log, newest first",
              query=AuditQuery, response=Page[AuditOut])
async def list_audit(request: web.Request) -> web.Response:
    query = parse_query(request, AuditQuery)
    entries = await request.app[AUDIT].list(
        before_id=int(query.cursor) if query.cursor else None, limit=query.fetch,
        action=query.action, actor_id=query.actor_id,
    )
    page, cursor = query.cut(entries, lambda e: e.id)
    return json_response(Page[AuditOut](items=[AuditOut.of(e) for e in page], next_cursor=cursor))

