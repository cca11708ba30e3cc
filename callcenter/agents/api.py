"""HTTP routes of agents: devices (admin), the device chosen at login (the agent), the devices admin page."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from callcenter.accounts.models import Actor
from callcenter.agents.models import DeviceKind
from callcenter.agents.schemas import DeviceChoiceIn, DeviceIn, DeviceOut, DevicesOut
from callcenter.errors import DomainError
from callcenter.schemas import Ok
from callcenter.web.http import Policy, RouteTable, client_ip, json_response, parse_body, path_int, user_of
from callcenter.web.keys import ACCOUNTS, AGENTS
from callcenter.web.render import render

routes = RouteTable("agents")
pages = RouteTable("admin")
PAGE = 50
NOTICES = {"added", "removed"}
FORM_FIELDS = {"value", "label", "kind"}


def _actor(request: web.Request) -> Actor:
    return Actor.of(user_of(request), client_ip(request))


@routes.route("GET", "/api/agents/{id}/devices", policy=Policy.SUPERVISOR,
              summary="An agent's devices and the one chosen at login", response=DevicesOut)
async def list_devices(request: web.Request) -> web.Response:
    user_id = path_int(request, "id")
    devices, active = await request.app[AGENTS].devices(user_id)
    return json_response(DevicesOut.of(user_id, devices, active))


@routes.route("POST", "/api/agents/{id}/devices", policy=Policy.ADMIN,
              summary="Give an agent a device (extension, SIP URI or Twilio client identity)", body=DeviceIn,
              response=DeviceOut, status=201)
async def add_device(request: web.Request) -> web.Response:
    body = await parse_body(request, DeviceIn)
    device = await request.app[AGENTS].add_device(
        _actor(request), path_int(request, "id"), body.kind, body.value, body.label
    )
    return json_response(DeviceOut.of(device), status=201)


@routes.route("DELETE", "/api/agents/{id}/devices/{device_id}", policy=Policy.ADMIN,
              summary="Take a device away from an agent", response=Ok)
async def remove_device(request: web.Request) -> web.Response:
    await request.app[AGENTS].remove_device(_actor(request), path_int(request, "id"), path_int(request, "device_id"))
    return json_response(Ok())


@routes.route("GET", "/api/me/device", policy=Policy.AGENT, summary="One's own devices and the one chosen",
              response=DevicesOut)
async def my_devices(request: web.Request) -> web.Response:
    user = user_of(request)
    devices, active = await request.app[AGENTS].devices(user.id)
    return json_response(DevicesOut.of(user.id, devices, active))


@routes.route("POST", "/api/me/device", policy=Policy.AGENT,
              summary="Choose the device one works at now (hot desks); null clears it", body=DeviceChoiceIn,
              response=DevicesOut)
async def choose_device(request: web.Request) -> web.Response:
    body = await parse_body(request, DeviceChoiceIn)
    user = user_of(request)
    await request.app[AGENTS].choose_device(user.id, body.device_id)
    devices, active = await request.app[AGENTS].devices(user.id)
    return json_response(DevicesOut.of(user.id, devices, active))


class AgentFilter(BaseModel):
    """Filters of the devices page."""

    model_config = ConfigDict(extra="ignore")

    q: str | None = Field(None, max_length=64)
    cursor: int = 0


async def _page(request: web.Request, *, status: int = 200, notice: str | None = None,
                error: str | None = None) -> web.Response:
    try:
        filters = AgentFilter.model_validate({k: v for k, v in request.query.items() if v})
    except ValueError:
        filters = AgentFilter()
    users = await request.app[ACCOUNTS].list_users(after_id=filters.cursor, limit=PAGE + 1, q=filters.q,
                                                   disabled=False)
    shown = users[:PAGE]
    devices, active = await request.app[AGENTS].devices_by_user([u.id for u in shown])
    rows = [{"user": u, "devices": devices[u.id], "active": active.get(u.id)} for u in shown]
    return render(
        request, "admin/devices.html", status=status, rows=rows, q=filters.q or "",
        next_cursor=users[PAGE - 1].id if len(users) > PAGE else None, kinds=[k.value for k in DeviceKind],
        notice=notice, error=error,
    )


def _error_key(err: DomainError) -> str:
    field = err.fields[0].loc[-1] if err.fields else None
    return f"admin.devices.error.{field if field in FORM_FIELDS else err.code}"


@pages.route("GET", "/admin/devices", policy=Policy.ADMIN, summary="The agent devices admin page",
             content_type="text/html")
async def devices_page(request: web.Request) -> web.Response:
    notice = request.query.get("notice")
    return await _page(request, notice=f"admin.devices.notice.{notice}" if notice in NOTICES else None)


@pages.route("POST", "/admin/devices/{id}", policy=Policy.ADMIN, summary="Give an agent a device from the page",
             form=True, content_type="text/html")
async def devices_add(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        await request.app[AGENTS].add_device(
            _actor(request), path_int(request, "id"), DeviceKind(str(form.get("kind", ""))),
            str(form.get("value", "")), str(form.get("label", "")) or None,
        )
    except ValueError:
        return await _page(request, status=422, error="admin.devices.error.kind")
    except DomainError as err:
        return await _page(request, status=err.status, error=_error_key(err))
    raise web.HTTPSeeOther("/admin/devices?notice=added")


@pages.route("POST", "/admin/devices/{id}/{device_id}/remove", policy=Policy.ADMIN,
             summary="Take a device away from an agent from the page", form=True, content_type="text/html")
async def devices_remove(request: web.Request) -> web.Response:
    try:
        await request.app[AGENTS].remove_device(
            _actor(request), path_int(request, "id"), path_int(request, "device_id")
        )
    except DomainError as err:
        return await _page(request, status=err.status, error=_error_key(err))
    raise web.HTTPSeeOther("/admin/devices?notice=removed")
