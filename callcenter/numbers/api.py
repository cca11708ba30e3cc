"""HTTP routes of dialled numbers: agents read, admins change (API and admin page)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from aiohttp import web

from callcenter.accounts.models import Actor
from callcenter.errors import DomainError, FieldError, Invalid, field_error
from callcenter.numbers.models import ClosedAction, NumberDraft
from callcenter.numbers.schemas import NumberIn, NumberOut, NumberUpdate
from callcenter.numbers.service import NumberService
from callcenter.schemas import Ok, Page, PageQuery
from callcenter.web.http import Policy, RouteTable, client_ip, json_response, parse_body, parse_query, path_int, user_of
from callcenter.web.keys import SETTINGS
from callcenter.web.render import render

NUMBERS = web.AppKey("numbers", NumberService)
routes = RouteTable("numbers")
pages = RouteTable("admin")
PAGE = 100
NOTICES = {"created", "saved", "deleted"}
FORM_FIELDS = {"number", "label", "queue", "region", "calendar", "closed_action", "closed_message"}


def _actor(request: web.Request) -> Actor:
    return Actor.of(user_of(request), client_ip(request))


@contextmanager
def _in_body() -> Iterator[None]:
    """Name a field the service refused as part of the request body (``body.number``)."""
    try:
        yield
    except DomainError as err:
        err.fields = [FieldError(("body", *f.loc), f.msg) for f in err.fields]
        raise


@routes.route("GET", "/api/numbers", policy=Policy.AGENT, summary="List dialled numbers with their queues and hours",
              query=PageQuery, response=Page[NumberOut])
async def list_numbers(request: web.Request) -> web.Response:
    query = parse_query(request, PageQuery)
    found = await request.app[NUMBERS].list_numbers(after_id=query.after(), limit=query.fetch)
    numbers, cursor = query.cut(found, lambda n: n.id)
    return json_response(Page[NumberOut](items=[NumberOut.of(n) for n in numbers], next_cursor=cursor))


@routes.route("POST", "/api/numbers", policy=Policy.ADMIN,
              summary="Set up a dialled number: its queue, region, opening hours and what callers get when closed",
              body=NumberIn, response=NumberOut, status=201)
async def create_number(request: web.Request) -> web.Response:
    body = await parse_body(request, NumberIn)
    with _in_body():
        created = await request.app[NUMBERS].create(_actor(request), body.to_draft())
    return json_response(NumberOut.of(created), status=201)


@routes.route("GET", "/api/numbers/{id}", policy=Policy.AGENT, summary="Read a dialled number", response=NumberOut)
async def get_number(request: web.Request) -> web.Response:
    return json_response(NumberOut.of(await request.app[NUMBERS].get(path_int(request, "id"))))


@routes.route("PATCH", "/api/numbers/{id}", policy=Policy.ADMIN, summary="Change some fields of a dialled number",
              body=NumberUpdate, response=NumberOut)
async def update_number(request: web.Request) -> web.Response:
    body = await parse_body(request, NumberUpdate)
    with _in_body():
        updated = await request.app[NUMBERS].update(_actor(request), path_int(request, "id"), body.changes())
    return json_response(NumberOut.of(updated))


@routes.route("DELETE", "/api/numbers/{id}", policy=Policy.ADMIN, summary="Delete a dialled number", response=Ok)
async def delete_number(request: web.Request) -> web.Response:
    await request.app[NUMBERS].delete(_actor(request), path_int(request, "id"))
    return json_response(Ok())


# Admin page.

def _draft(form: Any) -> NumberDraft:
    calendar = str(form.get("calendar", "")).strip()
    if calendar and not calendar.isdigit():
        raise Invalid("unknown calendar", field_error("calendar", "no such calendar"))
    return NumberDraft(
        number=str(form.get("number", "")), queue=str(form.get("queue", "")), label=str(form.get("label", "")),
        region=str(form.get("region", "")).strip() or None, calendar=int(calendar) if calendar else None,
        closed_action=str(form.get("closed_action", "")), closed_message=str(form.get("closed_message", "")),
    )


def _problem(err: DomainError, row: int | None) -> dict[str, Any]:
    field = err.fields[0].loc[-1] if err.fields else None
    key = "number_taken" if err.code == "conflict" else str(field) if field in FORM_FIELDS else err.code
    return {"key": f"admin.numbers.error.{key}", "field": field, "row": row}


async def _page(request: web.Request, *, status: int = 200, error: dict[str, Any] | None = None,
                values: dict[str, str] | None = None) -> web.Response:
    numbers = request.app[NUMBERS]
    cursor = request.query.get("cursor", "")
    found = await numbers.list_numbers(after_id=int(cursor) if cursor.isdigit() else 0, limit=PAGE + 1)
    queues, calendars = await numbers.choices()
    notice = request.query.get("notice")
    if error is None and request.query.get("error") == "csrf":
        error = {"key": "admin.error.csrf", "field": None, "row": None}
    return render(
        request, "admin/numbers.html", status=status, rows=found[:PAGE],
        next_cursor=str(found[PAGE - 1].id) if len(found) > PAGE else None,
        notice=f"admin.numbers.notice.{notice}" if notice in NOTICES else None, error=error,
        values=values or {"region": request.app[SETTINGS].default_region.upper()}, queues=queues,
        calendars=calendars, actions=[a.value for a in ClosedAction],
    )


@pages.route("GET", "/admin/numbers", policy=Policy.ADMIN, summary="The dialled numbers admin page",
             content_type="text/html")
async def numbers_page(request: web.Request) -> web.Response:
    return await _page(request)


@pages.route("POST", "/admin/numbers", policy=Policy.ADMIN, summary="Set up a dialled number from the admin page",
             form=True, content_type="text/html")
async def numbers_create(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        await request.app[NUMBERS].create(_actor(request), _draft(form))
    except DomainError as err:
        values = {str(k): str(v) for k, v in form.items() if k != "_csrf"}
        return await _page(request, status=err.status, error=_problem(err, None), values=values)
    raise web.HTTPSeeOther("/admin/numbers?notice=created")


@pages.route("POST", "/admin/numbers/{id}", policy=Policy.ADMIN, summary="Change a dialled number from the admin page",
             form=True, content_type="text/html")
async def numbers_save(request: web.Request) -> web.Response:
    form = await request.post()
    number_id = path_int(request, "id")
    try:
        draft = _draft(form)
        await request.app[NUMBERS].update(_actor(request), number_id, asdict(draft))
    except DomainError as err:
        return await _page(request, status=err.status, error=_problem(err, number_id))
    raise web.HTTPSeeOther("/admin/numbers?notice=saved")


@pages.route("POST", "/admin/numbers/{id}/delete", policy=Policy.ADMIN,
             summary="Delete a dialled number from the admin page", form=True, content_type="text/html")
async def numbers_delete(request: web.Request) -> web.Response:
    number_id = path_int(request, "id")
    try:
        await request.app[NUMBERS].delete(_actor(request), number_id)
    except DomainError as err:
        return await _page(request, status=err.status, error=_problem(err, number_id))
    raise web.HTTPSeeOther("/admin/numbers?notice=deleted")
