"""Middlewares: sessions and role policies, CSRF and Origin checks, security headers, error bodies."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from callcenter.errors import DomainError, FieldError
from callcenter.settings import IPAddress, IPNetwork
from callcenter.web.http import SESSION_KEY, Handler, Policy, spec_of
from callcenter.web.keys import ACCOUNTS, SETTINGS

log = logging.getLogger(__name__)

SESSION_COOKIE = "cc_session"
LOGIN_CSRF_COOKIE = "cc_login_csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; media-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def error_body(code: str, message: str, fields: list[FieldError] | None = None) -> dict[str, Any]:
    """The one JSON error shape of the API."""
    return {
        "error": {
            "code": code,
            "message": message,
            "fields": [{"loc": list(f.loc), "msg": f.msg} for f in fields or []],
        }
    }


def error_response(err: DomainError) -> web.Response:
    """Render a domain error as the API's JSON error body."""
    response = web.json_response(error_body(err.code, err.message, err.fields), status=err.status)
    retry = getattr(err, "retry_after_s", None)
    if retry is not None:
        response.headers["Retry-After"] = str(retry)
    return response


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map domain errors to the JSON error body, and the router's own errors too on /api."""
    try:
        return await handler(request)
    except DomainError as err:
        return error_response(err)
    except web.HTTPException as exc:
        if not _is_api(request) or exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status, "http_error")
        return web.json_response(error_body(code, exc.reason), status=exc.status)


@web.middleware
async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every answer."""
    response = await handler(request)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith(("/api/", "/admin", "/login")) or request.path in {"/", "/supervisor"}:
        headers.setdefault("Cache-Control", "no-store")
    return response


def origin_allowed(request: web.Request, origin: str | None) -> bool:
    """True when a browser request comes from our own pages."""
    if not origin:
        referer = request.headers.get("Referer")
        if not referer:
            return False
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    allowed = set(request.app[SETTINGS].allowed_origins())
    allowed.add(f"{request.scheme}://{request.host}")
    return origin.rstrip("/") in allowed


def _refuse(request: web.Request, status: int, code: str, message: str, page: bool = False) -> web.StreamResponse:
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    if wants_json or (_is_api(request) and not page):
        return web.json_response(error_body(code, message), status=status)
    if status == 401:
        raise web.HTTPSeeOther(f"/login?next={request.rel_url}")
    return web.Response(status=status, text=message)


def _expired_form(request: web.Request) -> web.StreamResponse:
    """A form whose CSRF token does not match: back to the page it came from, which says why."""
    if _is_api(request):
        return web.json_response(error_body("csrf", "the form has expired; reload the page and try again"),
                                 status=403)
    referer = urlsplit(request.headers.get("Referer", ""))
    same_site = referer.netloc in ("", request.host)
    page = referer.path if same_site and referer.path.startswith("/") else "/login"
    raise web.HTTPSeeOther(f"{page}?error=csrf")


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the session, enforce the route's role policy, and check CSRF or Origin on writes."""
    spec = spec_of(request.match_info.handler)
    if spec is None:
        # Only the router's own answers (404/405), static files and Socket.IO get here.
        return await handler(request)
    if spec.policy is Policy.INTEGRATION:
        return await handler(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = await request.app[ACCOUNTS].session_for(token) if token else None
    request[SESSION_KEY] = session
    needed = spec.policy.role
    if needed is not None:
        page = spec.content_type == "text/html" and request.method in SAFE_METHODS
        if session is None:
            return _refuse(request, 401, "unauthorized", "login required", page)
        if not session.user.role.at_least(needed):
            return _refuse(request, 403, "forbidden", f"needs the {needed.value} role", page)
    if request.method not in SAFE_METHODS:
        if spec.form:
            form = await request.post()
            sent = str(form.get("_csrf", ""))
            expected = session.csrf_token if session else request.cookies.get(LOGIN_CSRF_COOKIE, "")
            if not expected or not secrets.compare_digest(sent, expected):
                return _expired_form(request)
            if request.headers.get("Origin") and not origin_allowed(request, request.headers["Origin"]):
                return _refuse(request, 403, "origin", "cross-site form refused")
        elif session is not None and not origin_allowed(request, request.headers.get("Origin")):
            return _refuse(request, 403, "origin", "cross-site request refused")
    return await handler(request)


def set_session_cookie(response: web.StreamResponse, token: str, secure: bool, max_age: int) -> None:
    """The session cookie: HttpOnly, SameSite=Lax (the login redirect keeps it), path /."""
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="Lax", secure=secure, path="/", max_age=max_age
    )


def forwarded_client(forwarded: list[str], trusted: Callable[[IPAddress], bool]) -> IPAddress | None:
    """The client behind trusted proxies: ``X-Forwarded-For`` values read from their right end.

    Each proxy appends the address it received the request from. Past every trusted proxy, the
    first address that is not one is the client: what a client wrote into the header itself lies
    further left and is never reached. Garbage where an address should be stops the walk at the
    last address believed (None: the trusted peer itself).
    """
    client = None
    for value in reversed(forwarded):
        for hop in reversed(value.split(",")):
            try:
                client = ipaddress.ip_address(hop.strip())
            except ValueError:
                return client
            if not trusted(client):
                return client
    return client


def forwarded_middleware(proxies: Sequence[IPNetwork]) -> Middleware:
    """Take the client's address from ``X-Forwarded-For`` when, and only when, a trusted proxy sent it.

    From any other peer the header is ignored: a client reaching the server directly cannot choose
    its address.
    """

    def trusted(ip: IPAddress) -> bool:
        return any(ip in network for network in proxies)

    @web.middleware
    async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.remote is None or "X-Forwarded-For" not in request.headers:
            return await handler(request)
        try:
            peer = ipaddress.ip_address(request.remote)
        except ValueError:  # a Unix socket's peer has no IP address
            return await handler(request)
        if not trusted(peer):
            return await handler(request)
        client = forwarded_client(request.headers.getall("X-Forwarded-For"), trusted)
        return await handler(request if client is None else request.clone(remote=str(client)))

    return forwarded
