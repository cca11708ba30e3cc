"""HTTP routes of calendars: agents read and check, admins change (API and admin pages)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from aiohttp import web

from callcenter.accounts.models import Actor
from callcenter.calendars.hours import supported_holiday_regions
from callcenter.calendars.models import Calendar, CalendarError, CalendarRecord
from callcenter.calendars.schemas import (
    CalendarForm,
    CalendarIn,
    CalendarOut,
    StatusOut,
    StatusQuery,
    form_field,
    form_values,
    read_form,
)
from callcenter.calendars.service import CalendarService, invalid, status_at, upcoming
from callcenter.errors import DomainError, FieldError
from callcenter.schemas import Ok, Page, PageQuery
from callcenter.web.http import Policy, RouteTable, client_ip, json_response, parse_body, parse_query, path_int, user_of
from callcenter.web.keys import CLOCK, SETTINGS
from callcenter.web.render import locale_of, render

CALENDARS = web.AppKey("calendars", CalendarService)
routes = RouteTable("calendars")
pages = RouteTable("admin")
PAGE = 100
NOTICES = {"created", "saved", "deleted"}
FORM_FIELDS = {"name", "name_en", "name_zh", "timezone", "holiday_country", "holiday_subdivision", "hours",
               "closed_days", "open_days", "slots"}


def _actor(request: web.Request) -> Actor:
    return Actor.of(user_of(request), client_ip(request))


@contextmanager
def _in_body() -> Iterator[None]:
    """Name a field the service refused as part of the request body (``body.slots.2.end``)."""
    try:
        yield
    except CalendarError as err:
        raise invalid(err.within("body")) from err
    except DomainError as err:
        err.fields = [FieldError(("body", *f.loc), f.msg) for f in err.fields]
        raise


@routes.route("GET", "/api/calendars", policy=Policy.AGENT, summary="List opening-hours calendars",
              query=PageQuery, response=Page[CalendarOut])
async def list_calendars(request: web.Request) -> web.Response:
    query = parse_query(request, PageQuery)
    found = await request.app[CALENDARS].list_calendars(after_id=query.after(), limit=query.fetch)
    records, cursor = query.cut(found, lambda r: r.calendar.id)
    return json_response(Page[CalendarOut](items=[CalendarOut.of(r) for r in records], next_cursor=cursor))


@routes.route("POST", "/api/calendars", policy=Policy.ADMIN,
              summary="Add a calendar: weekly slots in a timezone, public holidays, custom days", body=CalendarIn,
              response=CalendarOut, status=201)
async def create_calendar(request: web.Request) -> web.Response:
    body = await parse_body(request, CalendarIn)
    with _in_body():
        record = await request.app[CALENDARS].create(_actor(request), *body.to_domain())
    return json_response(CalendarOut.of(record), status=201)


@routes.route("GET", "/api/calendars/{id}", policy=Policy.AGENT, summary="Read a calendar", response=CalendarOut)
async def get_calendar(request: web.Request) -> web.Response:
    return json_response(CalendarOut.of(await request.app[CALENDARS].get(path_int(request, "id"))))


@routes.route("PUT", "/api/calendars/{id}", policy=Policy.ADMIN,
              summary="Replace a calendar's names, timezone, slots, holidays and custom days", body=CalendarIn,
              response=CalendarOut)
async def replace_calendar(request: web.Request) -> web.Response:
    body = await parse_body(request, CalendarIn)
    with _in_body():
        record = await request.app[CALENDARS].update(_actor(request), path_int(request, "id"), *body.to_domain())
    return json_response(CalendarOut.of(record))


@routes.route("DELETE", "/api/calendars/{id}", policy=Policy.ADMIN,
              summary="Delete a calendar no dialled number uses (409 names the numbers that do)", response=Ok)
async def delete_calendar(request: web.Request) -> web.Response:
    await request.app[CALENDARS].delete(_actor(request), path_int(request, "id"))
    return json_response(Ok())


@routes.route("GET", "/api/calendars/{id}/status", policy=Policy.AGENT,
              summary="Whether a calendar is open at an instant, its next change, and that day's public holiday",
              query=StatusQuery, response=StatusOut)
async def calendar_status(request: web.Request) -> web.Response:
    query = parse_query(request, StatusQuery)
    status = await request.app[CALENDARS].status(path_int(request, "id"), query.at, locale_of(request))
    return json_response(StatusOut.of(status))


# Admin pages.

def _moment(calendar: Calendar, at_ms: int | None) -> dict[str, Any] | None:
    """An instant as the calendar's wall clock shows it: weekday (for its translated name) and date-time."""
    if at_ms is None:
        return None
    local = datetime.fromtimestamp(at_ms / 1000, ZoneInfo(calendar.timezone))
    return {"weekday": local.weekday(), "text": local.strftime("%Y-%m-%d %H:%M")}


def _now_view(request: web.Request, calendar: Calendar) -> dict[str, Any]:
    # Closed, the next change is the opening; open, it is the closing.
    status = status_at(calendar, request.app[CLOCK].now_ms(), locale_of(request))
    return {"open": status.open, "holiday": status.holiday, "next": _moment(calendar, status.next_change_ms)}


@functools.cache
def _zones() -> tuple[str, ...]:
    # Read from tzdata once per process; the page offers them as suggestions.
    return tuple(sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))))


def _countries() -> list[str]:
    return sorted(code for code in supported_holiday_regions() if len(code) == 2)


def _problem(loc: tuple[str | int, ...], code: str, form: CalendarForm | None,
             msgs: list[str] | None = None) -> dict[str, Any]:
    field, where = form_field(form, loc)
    if code == "conflict":
        key = "in_use" if field == "numbers" else "name_taken"
    elif field in ("custom_closed", "custom_open"):
        key = "too_many_days"
    else:
        key = field if field in FORM_FIELDS else code
    return {"key": f"admin.calendars.error.{key}", "field": field, "weekday": where if field == "hours" else None,
            "line": where, "numbers": ", ".join(msgs or [])}


def _page_error(err: DomainError | CalendarError, form: CalendarForm | None) -> tuple[int, dict[str, Any]]:
    if isinstance(err, CalendarError):
        return 422, _problem(err.loc, "invalid", form)
    loc = err.fields[0].loc if err.fields else ()
    return err.status, _problem(loc, err.code, form, [f.msg for f in err.fields])


def _csrf_error(request: web.Request) -> dict[str, Any] | None:
    if request.query.get("error") != "csrf":
        return None
    return {"key": "admin.error.csrf", "field": None, "weekday": None, "line": None, "numbers": ""}


def _notice(request: web.Request) -> str | None:
    notice = request.query.get("notice")
    return f"admin.calendars.notice.{notice}" if notice in NOTICES else None


async def _list_page(request: web.Request, *, status: int = 200, error: dict[str, Any] | None = None,
                     values: dict[str, str] | None = None) -> web.Response:
    cursor = request.query.get("cursor", "")
    found = await request.app[CALENDARS].list_calendars(after_id=int(cursor) if cursor.isdigit() else 0,
                                                        limit=PAGE + 1)
    settings = request.app[SETTINGS]
    rows = [{"calendar": r.calendar, "now": _now_view(request, r.calendar)} for r in found[:PAGE]]
    defaults = {"timezone": settings.timezone, "holiday_country": settings.default_region.upper(),
                "hours_weekdays": "09:00–17:00"}
    return render(
        request, "admin/calendars.html", status=status, rows=rows,
        next_cursor=str(found[PAGE - 1].calendar.id) if len(found) > PAGE else None,
        notice=_notice(request), error=error or _csrf_error(request), values=values or defaults,
        zones=_zones(), countries=_countries(),
    )


async def _edit_page(request: web.Request, record: CalendarRecord, *, status: int = 200,
                     error: dict[str, Any] | None = None, values: dict[str, str] | None = None) -> web.Response:
    calendar = record.calendar
    now = request.app[CLOCK].now_ms()
    return render(
        request, "admin/calendar.html", status=status, calendar=calendar, now=_now_view(request, calendar),
        days=upcoming(record, now, locale_of(request)), notice=_notice(request),
        error=error or _csrf_error(request), values=values or form_values(record), zones=_zones(),
        countries=_countries(),
    )


def _posted(form: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in form.items() if k != "_csrf"}


@pages.route("GET", "/admin/calendars", policy=Policy.ADMIN, summary="The opening-hours calendars admin page",
             content_type="text/html")
async def calendars_page(request: web.Request) -> web.Response:
    return await _list_page(request)


@pages.route("POST", "/admin/calendars", policy=Policy.ADMIN, summary="Add a calendar from the admin page",
             form=True, content_type="text/html")
async def calendars_create(request: web.Request) -> web.Response:
    values = _posted(await request.post())
    fields = {k: values.get(k, "") for k in ("name", "timezone", "holiday_country")}
    fields.update({f"hours_{weekday}": values.get("hours_weekdays", "") for weekday in range(5)})
    parsed = None
    try:
        parsed = read_form(fields)
        record = await request.app[CALENDARS].create(_actor(request), parsed.calendar)
    except (CalendarError, DomainError) as err:
        status, problem = _page_error(err, parsed)
        return await _list_page(request, status=status, error=problem, values=values)
    raise web.HTTPSeeOther(f"/admin/calendars/{record.calendar.id}?notice=created")


@pages.route("GET", "/admin/calendars/{id}", policy=Policy.ADMIN,
             summary="A calendar's admin page: weekly hours, holidays, custom days, status", content_type="text/html")
async def calendar_page(request: web.Request) -> web.Response:
    return await _edit_page(request, await request.app[CALENDARS].get(path_int(request, "id")))


@pages.route("POST", "/admin/calendars/{id}", policy=Policy.ADMIN, summary="Save a calendar from its admin page",
             form=True, content_type="text/html")
async def calendar_save(request: web.Request) -> web.Response:
    calendars = request.app[CALENDARS]
    calendar_id = path_int(request, "id")
    values = _posted(await request.post())
    parsed = None
    try:
        parsed = read_form(values)
        await calendars.update(_actor(request), calendar_id, parsed.calendar, parsed.day_names)
    except (CalendarError, DomainError) as err:
        status, problem = _page_error(err, parsed)
        return await _edit_page(request, await calendars.get(calendar_id), status=status, error=problem,
                                values=values)
    raise web.HTTPSeeOther(f"/admin/calendars/{calendar_id}?notice=saved")


@pages.route("POST", "/admin/calendars/{id}/delete", policy=Policy.ADMIN,
             summary="Delete a calendar from its admin page", form=True, content_type="text/html")
async def calendar_delete(request: web.Request) -> web.Response:
    calendars = request.app[CALENDARS]
    calendar_id = path_int(request, "id")
    try:
        await calendars.delete(_actor(request), calendar_id)
    except DomainError as err:
        status, problem = _page_error(err, None)
        return await _edit_page(request, await calendars.get(calendar_id), status=status, error=problem)
    raise web.HTTPSeeOther("/admin/calendars?notice=deleted")
