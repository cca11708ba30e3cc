"""HTTP routes of skills, agents' skills, queues and dispositions: agents read, admins change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from callcenter.accounts.models import Actor
from callcenter.errors import DomainError, FieldError
from callcenter.queues.schemas import (
    AgentSkillsIn,
    AgentSkillsOut,
    DispositionCreate,
    DispositionList,
    DispositionOut,
    DispositionUpdate,
    QueueCreate,
    QueueOut,
    QueueUpdate,
    SkillCreate,
    SkillOut,
    SkillUpdate,
)
from callcenter.queues.service import QueueService
from callcenter.schemas import Ok, Page, PageQuery
from callcenter.web.http import Policy, RouteTable, client_ip, json_response, parse_body, parse_query, path_int, user_of

QUEUES = web.AppKey("queues", QueueService)
routes = RouteTable("queues")


def _actor(request: web.Request) -> Actor:
    return Actor.of(user_of(request), client_ip(request))


@contextmanager
def _body_fields() -> Iterator[None]:
    """The service names fields of its input; over HTTP they are fields of the body, as schema errors say."""
    try:
        yield
    except DomainError as err:
        err.fields = [FieldError(("body", *f.loc), f.msg) for f in err.fields]
        raise


@routes.route("GET", "/api/skills", policy=Policy.AGENT, summary="List skills with how many agents and queues use each",
              query=PageQuery, response=Page[SkillOut])
async def list_skills(request: web.Request) -> web.Response:
    query = parse_query(request, PageQuery)
    found = await request.app[QUEUES].list_skills(after_id=query.after(), limit=query.fetch)
    skills, cursor = query.cut(found, lambda s: s.id)
    return json_response(Page[SkillOut](items=[SkillOut.of(s) for s in skills], next_cursor=cursor))


@routes.route("POST", "/api/skills", policy=Policy.ADMIN, summary="Add a skill", body=SkillCreate,
              response=SkillOut, status=201)
async def create_skill(request: web.Request) -> web.Response:
    body = await parse_body(request, SkillCreate)
    with _body_fields():
        skill = await request.app[QUEUES].create_skill(_actor(request), body.name, body.name_zh)
    return json_response(SkillOut.of(skill), status=201)


@routes.route("GET", "/api/skills/{id}", policy=Policy.AGENT, summary="Read a skill", response=SkillOut)
async def get_skill(request: web.Request) -> web.Response:
    return json_response(SkillOut.of(await request.app[QUEUES].get_skill(path_int(request, "id"))))


@routes.route("PATCH", "/api/skills/{id}", policy=Policy.ADMIN, summary="Rename a skill", body=SkillUpdate,
              response=SkillOut)
async def update_skill(request: web.Request) -> web.Response:
    body = await parse_body(request, SkillUpdate)
    with _body_fields():
        skill = await request.app[QUEUES].update_skill(_actor(request), path_int(request, "id"), name=body.name,
                                                       name_zh=body.name_zh)
    return json_response(SkillOut.of(skill))


@routes.route("DELETE", "/api/skills/{id}", policy=Policy.ADMIN,
              summary="Delete a skill, with every agent's proficiency in it and every queue's want of it", response=Ok)
async def delete_skill(request: web.Request) -> web.Response:
    await request.app[QUEUES].delete_skill(_actor(request), path_int(request, "id"))
    return json_response(Ok())


@routes.route("GET", "/api/agents/{id}/skills", policy=Policy.SUPERVISOR,
              summary="An agent's or supervisor's skills and proficiencies", response=AgentSkillsOut)
async def get_agent_skills(request: web.Request) -> web.Response:
    return json_response(AgentSkillsOut.of(await request.app[QUEUES].agent(path_int(request, "id"))))


@routes.route("PUT", "/api/agents/{id}/skills", policy=Policy.ADMIN,
              summary="Replace the whole set of an agent's or supervisor's skills", body=AgentSkillsIn,
              response=AgentSkillsOut)
async def set_agent_skills(request: web.Request) -> web.Response:
    body = await parse_body(request, AgentSkillsIn)
    with _body_fields():
        agent = await request.app[QUEUES].set_agent_skills(_actor(request), path_int(request, "id"), body.wants())
    return json_response(AgentSkillsOut.of(agent))


@routes.route("GET", "/api/queues", policy=Policy.AGENT, summary="List queues with their settings and skills",
              query=PageQuery, response=Page[QueueOut])
async def list_queues(request: web.Request) -> web.Response:
    query = parse_query(request, PageQuery)
    found = await request.app[QUEUES].list_queues(after_id=query.after(), limit=query.fetch)
    queues, cursor = query.cut(found, lambda q: q.id)
    return json_response(Page[QueueOut](items=[QueueOut.of(q) for q in queues], next_cursor=cursor))


@routes.route("POST", "/api/queues", policy=Policy.ADMIN, summary="Add a queue (without dispositions)",
              body=QueueCreate, response=QueueOut, status=201)
async def create_queue(request: web.Request) -> web.Response:
    body = await parse_body(request, QueueCreate)
    with _body_fields():
        queue = await request.app[QUEUES].create_queue(_actor(request), body.settings())
    return json_response(QueueOut.of(queue), status=201)


@routes.route("GET", "/api/queues/{id}", policy=Policy.AGENT, summary="Read a queue", response=QueueOut)
async def get_queue(request: web.Request) -> web.Response:
    return json_response(QueueOut.of(await request.app[QUEUES].get_queue(path_int(request, "id"))))


@routes.route("PATCH", "/api/queues/{id}", policy=Policy.ADMIN, summary="Change a queue's settings or skills",
              body=QueueUpdate, response=QueueOut)
async def update_queue(request: web.Request) -> web.Response:
    body = await parse_body(request, QueueUpdate)
    with _body_fields():
        queue = await request.app[QUEUES].update_queue(_actor(request), path_int(request, "id"), body.changes())
    return json_response(QueueOut.of(queue))


@routes.route("DELETE", "/api/queues/{id}", policy=Policy.ADMIN,
              summary="Delete a queue and its dispositions; refused while numbers or other queues point at it",
              response=Ok)
async def delete_queue(request: web.Request) -> web.Response:
    await request.app[QUEUES].delete_queue(_actor(request), path_int(request, "id"))
    return json_response(Ok())


@routes.route("GET", "/api/queues/{id}/dispositions", policy=Policy.AGENT,
              summary="A queue's dispositions by position, enabled or not", response=DispositionList)
async def list_dispositions(request: web.Request) -> web.Response:
    found = await request.app[QUEUES].dispositions(path_int(request, "id"))
    return json_response(DispositionList(items=[DispositionOut.of(d) for d in found]))


@routes.route("POST", "/api/queues/{id}/dispositions", policy=Policy.ADMIN, summary="Add a disposition to a queue",
              body=DispositionCreate, response=DispositionOut, status=201)
async def create_disposition(request: web.Request) -> web.Response:
    body = await parse_body(request, DispositionCreate)
    with _body_fields():
        found = await request.app[QUEUES].add_disposition(_actor(request), path_int(request, "id"), body.draft())
    return json_response(DispositionOut.of(found), status=201)


@routes.route("PATCH", "/api/dispositions/{id}", policy=Policy.ADMIN, summary="Change a disposition",
              body=DispositionUpdate, response=DispositionOut)
async def update_disposition(request: web.Request) -> web.Response:
    body = await parse_body(request, DispositionUpdate)
    with _body_fields():
        found = await request.app[QUEUES].update_disposition(_actor(request), path_int(request, "id"),
                                                             body.changes())
    return json_response(DispositionOut.of(found))


@routes.route("DELETE", "/api/dispositions/{id}", policy=Policy.ADMIN,
              summary="Delete a disposition no call was wrapped up with (disable one in use instead)", response=Ok)
async def delete_disposition(request: web.Request) -> web.Response:
    await request.app[QUEUES].delete_disposition(_actor(request), path_int(request, "id"))
    return json_response(Ok())
