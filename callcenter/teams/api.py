"""HTTP routes of teams: agents read, admins change (API and admin page), supervisors broadcast."""

from __future__ import annotations

from aiohttp import web

from callcenter.accounts.models import Actor
from callcenter.errors import DomainError
from callcenter.schemas import Ok, Page, PageQuery
from callcenter.teams.schemas import BroadcastIn, BroadcastOut, MemberIn, TeamCreate, TeamDetailOut, TeamOut, TeamUpdate
from callcenter.teams.service import TeamService
from callcenter.web.http import Policy, RouteTable, client_ip, json_response, parse_body, parse_query, path_int, user_of
from callcenter.web.render import render

TEAMS = web.AppKey("teams", TeamService)
routes = RouteTable("teams")
pages = RouteTable("admin")
PAGE = 100
NOTICES = {"created", "renamed", "deleted", "member_added", "member_removed"}
FORM_FIELDS = {"name", "name_zh", "username", "user_id"}


def _actor(request: web.Request) -> Actor:
    return Actor.of(user_of(request), client_ip(request))


@routes.route("GET", "/api/teams", policy=Policy.AGENT, summary="List teams with their member counts",
              query=PageQuery, response=Page[TeamOut])
async def list_teams(request: web.Request) -> web.Response:
    query = parse_query(request, PageQuery)
    found = await request.app[TEAMS].list_teams(after_id=query.after(), limit=query.fetch)
    teams, cursor = query.cut(found, lambda t: t.id)
    return json_response(Page[TeamOut](items=[TeamOut.of(t) for t in teams], next_cursor=cursor))


@routes.route("POST", "/api/teams", policy=Policy.ADMIN, summary="Add a team", body=TeamCreate, response=TeamOut,
              status=201)
async def create_team(request: web.Request) -> web.Response:
    body = await parse_body(request, TeamCreate)
    team = await request.app[TEAMS].create(_actor(request), body.name, body.name_zh)
    return json_response(TeamOut.of(team), status=201)


@routes.route("GET", "/api/teams/{id}", policy=Policy.AGENT, summary="Read a team with its members",
              response=TeamDetailOut)
async def get_team(request: web.Request) -> web.Response:
    return json_response(TeamDetailOut.of_detail(await request.app[TEAMS].get(path_int(request, "id"))))


@routes.route("PATCH", "/api/teams/{id}", policy=Policy.ADMIN, summary="Rename a team", body=TeamUpdate,
              response=TeamOut)
async def rename_team(request: web.Request) -> web.Response:
    body = await parse_body(request, TeamUpdate)
    team = await request.app[TEAMS].rename(_actor(request), path_int(request, "id"), name=body.name,
                                           name_zh=body.name_zh)
    return json_response(TeamOut.of(team))


@routes.route("DELETE", "/api/teams/{id}", policy=Policy.ADMIN, summary="Delete a team and its memberships",
              response=Ok)
async def delete_team(request: web.Request) -> web.Response:
    await request.app[TEAMS].delete(_actor(request), path_int(request, "id"))
    return json_response(Ok())


@routes.route("POST", "/api/teams/{id}/members", policy=Policy.ADMIN,
              summary="Add a user to a team (their connected sockets join its room)", body=MemberIn,
              response=TeamDetailOut)
async def add_member(request: web.Request) -> web.Response:
    body = await parse_body(request, MemberIn)
    detail = await request.app[TEAMS].add_member(_actor(request), path_int(request, "id"), body.user_id)
    return json_response(TeamDetailOut.of_detail(detail))


@routes.route("DELETE", "/api/teams/{id}/members/{user_id}", policy=Policy.ADMIN,
              summary="Take a user out of a team (their sockets leave its room)", response=TeamDetailOut)
async def remove_member(request: web.Request) -> web.Response:
    detail = await request.app[TEAMS].remove_member(_actor(request), path_int(request, "id"),
                                                    path_int(request, "user_id"))
    return json_response(TeamDetailOut.of_detail(detail))


@routes.route("POST", "/api/teams/{id}/broadcast", policy=Policy.SUPERVISOR,
              summary="Send a banner message to every member of a team", body=BroadcastIn, response=BroadcastOut)
async def broadcast(request: web.Request) -> web.Response:
    body = await parse_body(request, BroadcastIn)
    recipients = await request.app[TEAMS].broadcast(_actor(request), path_int(request, "id"), body.text)
    return json_response(BroadcastOut(recipients=recipients))


def _error_key(err: DomainError) -> str:
    field = err.fields[0].loc[-1] if err.fields else None
    if err.code == "conflict":
        return "admin.teams.error.member_taken" if field == "user_id" else "admin.teams.error.name_taken"
    return f"admin.teams.error.{field if field in FORM_FIELDS else err.code}"


async def _page(request: web.Request, *, status: int = 200, notice: str | None = None,
                error: str | None = None) -> web.Response:
    cursor = request.query.get("cursor", "")
    teams = request.app[TEAMS]
    found = await teams.list_teams(after_id=int(cursor) if cursor.isdigit() else 0, limit=PAGE + 1)
    shown = found[:PAGE]
    members = await teams.members_of([t.id for t in shown])
    return render(
        request, "admin/teams.html", status=status, rows=[{"team": t, "members": members[t.id]} for t in shown],
        next_cursor=found[PAGE - 1].id if len(found) > PAGE else None, notice=notice, error=error,
    )


def _done(notice: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/admin/teams?notice={notice}")


@pages.route("GET", "/admin/teams", policy=Policy.ADMIN, summary="The teams admin page", content_type="text/html")
async def teams_page(request: web.Request) -> web.Response:
    notice = request.query.get("notice")
    error = "admin.error.csrf" if request.query.get("error") == "csrf" else None
    return await _page(request, notice=f"admin.teams.notice.{notice}" if notice in NOTICES else None, error=error)


@pages.route("POST", "/admin/teams", policy=Policy.ADMIN, summary="Add a team from the admin page", form=True,
             content_type="text/html")
async def teams_create(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        await request.app[TEAMS].create(_actor(request), str(form.get("name", "")), str(form.get("name_zh", "")))
    except DomainError as err:
        return await _page(request, status=err.status, error=_error_key(err))
    raise _done("created")


@pages.route("POST", "/admin/teams/{id}", policy=Policy.ADMIN, summary="Rename a team from the admin page",
             form=True, content_type="text/html")
async def teams_rename(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        await request.app[TEAMS].rename(_actor(request), path_int(request, "id"), name=str(form.get("name", "")),
                                        name_zh=str(form.get("name_zh", "")))
    except DomainError as err:
        return await _page(request, status=err.status, error=_error_key(err))
    raise _done("renamed")


@pages.route("POST", "/admin/teams/{id}/delete", policy=Policy.ADMIN, summary="Delete a team from the admin page",
             form=True, content_type="text/html")
async def teams_delete(request: web.Request) -> web.Response:
    try:
        await request.app[TEAMS].delete(_actor(request), path_int(request, "id"))
    except DomainError as err:
        return await _page(request, status=err.status, error=_error_key(err))
    raise _done("deleted")


@pages.route("POST", "/admin/teams/{id}/members", policy=Policy.ADMIN,
             summary="Add a user to a team by username from the admin page", form=True, content_type="text/html")
async def teams_add_member(request: web.Request) -> web.Response:
    form = await request.post()
    teams = request.app[TEAMS]
    try:
        user_id = await teams.find_user(str(form.get("username", "")))
        await teams.add_member(_actor(request), path_int(request, "id"), user_id)
    except DomainError as err:
        return await _page(request, status=err.status, error=_error_key(err))
    raise _done("member_added")


@pages.route("POST", "/admin/teams/{id}/members/{user_id}/remove", policy=Policy.ADMIN,
             summary="Take a user out of a team from the admin page", form=True, content_type="text/html")
async def teams_remove_member(request: web.Request) -> web.Response:
    try:
        await request.app[TEAMS].remove_member(_actor(request), path_int(request, "id"), path_int(request, "user_id"))
    except DomainError as err:
        return await _page(request, status=err.status, error=_error_key(err))
    raise _done("member_removed")
