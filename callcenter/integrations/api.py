"""HTTP routes of integrations: the admin JSON API and the admin page (tokens shown once, never stored)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from callcenter.accounts.models import Actor
from callcenter.errors import DomainError
from callcenter.integrations.models import Integration, IntegrationKind, endpoints
from callcenter.integrations.schemas import (
    IntegrationCreate,
    IntegrationOut,
    IntegrationQuery,
    IntegrationSecretOut,
    IntegrationUpdate,
)
from callcenter.schemas import Page
from callcenter.web.http import Policy, RouteTable, client_ip, json_response, parse_body, parse_query, path_int, user_of
from callcenter.web.keys import INTEGRATIONS, SETTINGS
from callcenter.web.render import render

routes = RouteTable("integrations")
pages = RouteTable("admin")
PAGE = 100
NOTICES = {"updated"}
FORM_FIELDS = {"name", "default_region", "block_list", "account_sid", "auth_token", "kind"}
_SPLIT = re.compile(r"[\n,;]+")


def _actor(request: web.Request) -> Actor:
    return Actor.of(user_of(request), client_ip(request))


def _secret_out(request: web.Request, integration: Integration, token: str | None) -> IntegrationSecretOut:
    return IntegrationSecretOut(integration=IntegrationOut.of(integration), token=token,
                                endpoints=endpoints(integration.kind, request.app[SETTINGS].public_url, token))


@routes.route("GET", "/api/integrations", policy=Policy.ADMIN, summary="List telephony integrations",
              query=IntegrationQuery, response=Page[IntegrationOut])
async def list_integrations(request: web.Request) -> web.Response:
    query = parse_query(request, IntegrationQuery)
    found = await request.app[INTEGRATIONS].list(
        after_id=query.after(), limit=query.fetch, kind=query.kind, enabled=query.enabled
    )
    integrations, cursor = query.cut(found, lambda i: i.id)
    return json_response(Page[IntegrationOut](items=[IntegrationOut.of(i) for i in integrations],
                                              next_cursor=cursor))


@routes.route("POST", "/api/integrations", policy=Policy.ADMIN,
              summary="Add a telephony integration (its token is in this answer only)", body=IntegrationCreate,
              response=IntegrationSecretOut, status=201)
async def create_integration(request: web.Request) -> web.Response:
    body = await parse_body(request, IntegrationCreate)
    integration, token = await request.app[INTEGRATIONS].create(
        _actor(request), body.kind, body.name, body.default_region or request.app[SETTINGS].default_region,
        body.block_list, body.account_sid, body.auth_token,
    )
    return json_response(_secret_out(request, integration, token), status=201)


@routes.route("GET", "/api/integrations/{id}", policy=Policy.ADMIN, summary="Read a telephony integration",
              response=IntegrationOut)
async def get_integration(request: web.Request) -> web.Response:
    return json_response(IntegrationOut.of(await request.app[INTEGRATIONS].get(path_int(request, "id"))))


@routes.route("PATCH", "/api/integrations/{id}", policy=Policy.ADMIN,
              summary="Change, enable or disable a telephony integration", body=IntegrationUpdate,
              response=IntegrationOut)
async def update_integration(request: web.Request) -> web.Response:
    body = await parse_body(request, IntegrationUpdate)
    integration = await request.app[INTEGRATIONS].update(
        _actor(request), path_int(request, "id"), name=body.name, default_region=body.default_region,
        block_list=body.block_list, enabled=body.enabled, account_sid=body.account_sid, auth_token=body.auth_token,
    )
    return json_response(IntegrationOut.of(integration))


@routes.route("POST", "/api/integrations/{id}/rotate", policy=Policy.ADMIN,
              summary="Issue a new token and void the old one (in this answer only)", response=IntegrationSecretOut)
async def rotate_token(request: web.Request) -> web.Response:
    integration, token = await request.app[INTEGRATIONS].rotate_token(_actor(request), path_int(request, "id"))
    return json_response(_secret_out(request, integration, token))


def _lines(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT.split(text) if part.strip()]


def _error(err: DomainError, entries: list[str]) -> dict[str, Any]:
    loc = err.fields[0].loc if err.fields else ()
    field = loc[0] if loc else None
    if field == "block_list" and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(entries):
        return {"key": "admin.integrations.error.block_entry", "params": {"entry": entries[loc[1]]}}
    name = field if field in FORM_FIELDS else err.code
    return {"key": f"admin.integrations.error.{name}", "params": {}}


async def _page(request: web.Request, *, status: int = 200, notice: str | None = None,
                error: dict[str, Any] | None = None, secret: IntegrationSecretOut | None = None) -> web.Response:
    cursor = request.query.get("cursor", "")
    found = await request.app[INTEGRATIONS].list(after_id=int(cursor) if cursor.isdigit() else 0, limit=PAGE + 1)
    public_url = request.app[SETTINGS].public_url
    rows = [{"integration": i, "endpoints": endpoints(i.kind, public_url)} for i in found[:PAGE]]
    return render(
        request, "admin/integrations.html", status=status, rows=rows,
        next_cursor=found[PAGE - 1].id if len(found) > PAGE else None, kinds=[k.value for k in IntegrationKind],
        default_region=request.app[SETTINGS].default_region, notice=notice, error=error, secret=secret,
    )


@pages.route("GET", "/admin/integrations", policy=Policy.ADMIN, summary="The telephony integrations admin page",
             content_type="text/html")
async def integrations_page(request: web.Request) -> web.Response:
    notice = request.query.get("notice")
    return await _page(request, notice=f"admin.integrations.notice.{notice}" if notice in NOTICES else None)


@pages.route("POST", "/admin/integrations", policy=Policy.ADMIN, summary="Add an integration from the admin page",
             form=True, content_type="text/html")
async def integrations_create(request: web.Request) -> web.Response:
    form = await request.post()
    entries = _lines(str(form.get("block_list", "")))
    try:
        integration, token = await request.app[INTEGRATIONS].create(
            _actor(request), IntegrationKind(str(form.get("kind", ""))), str(form.get("name", "")),
            str(form.get("default_region", "")) or request.app[SETTINGS].default_region, entries,
            str(form.get("account_sid", "")).strip() or None, str(form.get("auth_token", "")).strip() or None,
        )
    except ValueError:
        return await _page(request, status=422, error={"key": "admin.integrations.error.kind", "params": {}})
    except DomainError as err:
        return await _page(request, status=err.status, error=_error(err, entries))
    # Rendered, not redirected: the token must not travel in a URL, and it is shown only this once.
    return await _page(request, notice="admin.integrations.notice.created",
                       secret=_secret_out(request, integration, token))


@pages.route("POST", "/admin/integrations/{id}", policy=Policy.ADMIN,
             summary="Change, enable or disable an integration from the page", form=True, content_type="text/html")
async def integrations_update(request: web.Request) -> web.Response:
    form = await request.post()
    entries = _lines(str(form.get("block_list", "")))
    try:
        await request.app[INTEGRATIONS].update(
            _actor(request), path_int(request, "id"), name=str(form.get("name", "")),
            default_region=str(form.get("default_region", "")), block_list=entries,
            enabled=form.get("enabled") == "on",
            account_sid=str(form["account_sid"]).strip() if "account_sid" in form else None,
            auth_token=str(form.get("auth_token", "")).strip() or None,
        )
    except DomainError as err:
        return await _page(request, status=err.status, error=_error(err, entries))
    raise web.HTTPSeeOther("/admin/integrations?notice=updated")


@pages.route("POST", "/admin/integrations/{id}/rotate", policy=Policy.ADMIN,
             summary="Issue a new integration token from the page", form=True, content_type="text/html")
async def integrations_rotate(request: web.Request) -> web.Response:
    try:
        integration, token = await request.app[INTEGRATIONS].rotate_token(_actor(request), path_int(request, "id"))
    except DomainError as err:
        return await _page(request, status=err.status, error=_error(err, []))
    return await _page(request, notice="admin.integrations.notice.rotated",
                       secret=_secret_out(request, integration, token))
