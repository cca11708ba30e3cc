"""Admin pages: list, create, change and disable users, reset passwords; read the audit log."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from callcenter.accounts.models import Actor, Role
from callcenter.errors import DomainError
from callcenter.web.http import Policy, RouteTable, client_ip, path_int, user_of
from callcenter.web.keys import ACCOUNTS, AUDIT
from callcenter.web.render import render

routes = RouteTable("admin")
PAGE = 50
NOTICES = {"created", "updated", "password"}


class UserFilter(BaseModel):
    """Filters of the users page."""

    model_config = ConfigDict(extra="ignore")

    q: str | None = Field(None, max_length=64)
    role: Role | None = None
    cursor: int = 0


async def _users_page(request: web.Request, *, notice: str | None = None, error: str | None = None,
                      status: int = 200) -> web.Response:
    raw = {k: v for k, v in request.query.items() if v}
    try:
        filters = UserFilter.model_validate(raw)
    except ValueError:
        filters = UserFilter()
    users = await request.app[ACCOUNTS].list_users(
        after_id=filters.cursor, limit=PAGE + 1, role=filters.role, q=filters.q
    )
    next_cursor = users[PAGE - 1].id if len(users) > PAGE else None
    return render(
        request, "admin/users.html", status=status, users=users[:PAGE], q=filters.q or "",
        role_filter=filters.role.value if filters.role else "", next_cursor=next_cursor, notice=notice,
        error=error, roles=[r.value for r in Role],
    )


def _actor(request: web.Request) -> Actor:
    return Actor.of(user_of(request), client_ip(request))


def _error_key(err: DomainError) -> str:
    field = err.fields[0].loc[-1] if err.fields else None
    return f"admin.users.error.{field}" if field in {"username", "password", "display_name", "disabled"} \
        else f"admin.users.error.{err.code}"


@routes.route("GET", "/admin/users", policy=Policy.ADMIN, summary="The users admin page", content_type="text/html")
async def users_page(request: web.Request) -> web.Response:
    notice = request.query.get("notice")
    error = "admin.error.csrf" if request.query.get("error") == "csrf" else None
    return await _users_page(request, notice=f"admin.users.notice.{notice}" if notice in NOTICES else None,
                             error=error)


@routes.route("POST", "/admin/users", policy=Policy.ADMIN, summary="Create a user from the admin page",
              form=True, content_type="text/html")
async def users_create(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        role = Role(str(form.get("role", "agent")))
        await request.app[ACCOUNTS].create_user(
            _actor(request), str(form.get("username", "")).strip(), str(form.get("password", "")), role,
            str(form.get("display_name", "")).strip() or None,
        )
    except ValueError:
        return await _users_page(request, error="admin.users.error.invalid", status=422)
    except DomainError as err:
        return await _users_page(request, error=_error_key(err), status=err.status)
    raise web.HTTPSeeOther("/admin/users?notice=created")


@routes.route("POST", "/admin/users/{id}", policy=Policy.ADMIN, summary="Change or disable a user from the page",
              form=True, content_type="text/html")
async def users_update(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        await request.app[ACCOUNTS].update_user(
            _actor(request), path_int(request, "id"),
            display_name=str(form.get("display_name", "")).strip() or None,
            role=Role(str(form["role"])) if form.get("role") else None,
            disabled=form.get("disabled") == "on",
        )
    except ValueError:
        return await _users_page(request, error="admin.users.error.invalid", status=422)
    except DomainError as err:
        return await _users_page(request, error=_error_key(err), status=err.status)
    raise web.HTTPSeeOther("/admin/users?notice=updated")


@routes.route("POST", "/admin/users/{id}/password", policy=Policy.ADMIN,
              summary="Reset a user's password from the page", form=True, content_type="text/html")
async def users_password(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        await request.app[ACCOUNTS].reset_password(
            _actor(request), path_int(request, "id"), str(form.get("password", ""))
        )
    except DomainError as err:
        return await _users_page(request, error=_error_key(err), status=err.status)
    raise web.HTTPSeeOther("/admin/users?notice=password")


@routes.route("GET", "/admin/audit", policy=Policy.ADMIN, summary="The audit log page", content_type="text/html")
async def audit_page(request: web.Request) -> web.Response:
    cursor = request.query.get("cursor", "")
    before = int(cursor) if cursor.isdigit() else None
    entries = await request.app[AUDIT].list(before_id=before, limit=PAGE + 1)
    next_cursor = entries[PAGE - 1].id if len(entries) > PAGE else None
    return render(request, "admin/audit.html", entries=entries[:PAGE], next_cursor=next_cursor)
