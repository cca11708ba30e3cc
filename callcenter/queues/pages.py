"""Admin pages of skills, agents' proficiencies, queues and their dispositions: HTML forms with CSRF tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from callcenter.accounts.models import Actor
from callcenter.errors import DomainError, NotFound
from callcenter.queues.api import QUEUES
from callcenter.queues.models import PROFICIENCY, TIERS, DispositionDraft, OverflowAction, QueueSettings, SkillWant
from callcenter.web.http import Policy, RouteTable, client_ip, path_int, user_of
from callcenter.web.render import render

pages = RouteTable("admin")
PAGE = 100
SKILL_NOTICES = {"created", "renamed", "deleted", "agent_saved"}
QUEUE_NOTICES = {"created", "saved", "skills_saved", "deleted", "disposition_added", "disposition_saved",
                 "disposition_removed"}
SKILL_FIELDS = {"name", "name_zh", "skills"}
QUEUE_FIELDS = {"key", "name", "name_zh", "ring_timeout_s", "max_no_answer", "wrap_up_s", "max_wait_s", "max_queue",
                "overflow_action", "overflow_queue", "service_level_s", "tier_bonus", "skills", "code", "label",
                "label_zh", "position"}
QUEUE_NUMBERS = ("ring_timeout_s", "max_no_answer", "wrap_up_s", "max_wait_s", "max_queue", "service_level_s")
OPTIONAL_NUMBERS = {"max_no_answer", "max_wait_s", "max_queue"}
LEVELS = range(PROFICIENCY[0], PROFICIENCY[1] + 1)
Form = Mapping[str, Any]


def _actor(request: web.Request) -> Actor:
    return Actor.of(user_of(request), client_ip(request))


def _text(form: Form, name: str) -> str:
    return str(form.get(name, ""))


def _number(form: Form, name: str) -> int | str | None:
    """A whole number as typed; anything else goes through as text, for the service to name the field."""
    raw = _text(form, name).strip()
    if not raw and name in OPTIONAL_NUMBERS:
        return None
    return int(raw) if raw.isdigit() else raw


def _levels(form: Form) -> list[SkillWant]:
    """``skill-<id>`` selects: empty for none, else a level; anything else is sent on as 0 to be refused."""
    wants = []
    for name, value in form.items():
        if name.startswith("skill-") and name[6:].isdigit() and str(value):
            level = int(str(value)) if str(value).isdigit() else 0
            wants.append(SkillWant(int(name[6:]), level))
    return wants


def _problem(err: DomainError, fields: set[str]) -> str:
    """What went wrong, as the tail of a catalog key: a taken key, a field to fix, else the kind of error."""
    loc = err.fields[0].loc if err.fields else ()
    field = loc[0] if loc and isinstance(loc[0], str) else None
    if err.code == "conflict" and field in {"name", "key", "code"}:
        return f"{field}_taken"
    return field if field in fields else err.code


def _cursor(request: web.Request, name: str) -> int:
    value = request.query.get(name, "")
    return int(value) if value.isdigit() else 0


def _notice(request: web.Request, allowed: set[str]) -> str | None:
    notice = request.query.get("notice")
    return notice if notice in allowed else None


def _csrf_error(request: web.Request) -> str | None:
    return "admin.error.csrf" if request.query.get("error") == "csrf" else None


# Skills and agents' proficiencies


async def _skills_page(request: web.Request, *, status: int = 200, error: str | None = None) -> web.Response:
    queues = request.app[QUEUES]
    skills = await queues.list_skills(after_id=_cursor(request, "cursor"), limit=PAGE + 1)
    agents = await queues.list_agents(after_id=_cursor(request, "agents_cursor"), limit=PAGE + 1)
    return render(
        request, "admin/skills.html", status=status, skills=skills[:PAGE], choices=await queues.all_skills(),
        next_cursor=skills[PAGE - 1].id if len(skills) > PAGE else None, agents=agents[:PAGE],
        agents_cursor=agents[PAGE - 1].user_id if len(agents) > PAGE else None, levels=LEVELS,
        notice=_skill_notice(request), error=error or _csrf_error(request),
    )


def _skill_error(err: DomainError) -> str:
    return f"admin.skills.error.{_problem(err, SKILL_FIELDS)}"


def _skill_notice(request: web.Request) -> str | None:
    notice = _notice(request, SKILL_NOTICES)
    return f"admin.skills.notice.{notice}" if notice else None


@pages.route("GET", "/admin/skills", policy=Policy.ADMIN, summary="The skills and agents' proficiencies admin page",
             content_type="text/html")
async def skills_page(request: web.Request) -> web.Response:
    """Skills, a form for a new one, and each agent's proficiencies."""
    return await _skills_page(request)


@pages.route("POST", "/admin/skills", policy=Policy.ADMIN, summary="Add a skill from the admin page", form=True,
             content_type="text/html")
async def skills_create(request: web.Request) -> web.Response:
    """Add a skill."""
    form = await request.post()
    try:
        await request.app[QUEUES].create_skill(_actor(request), _text(form, "name"), _text(form, "name_zh"))
    except DomainError as err:
        return await _skills_page(request, status=err.status, error=_skill_error(err))
    raise web.HTTPSeeOther("/admin/skills?notice=created")


@pages.route("POST", "/admin/skills/{id}", policy=Policy.ADMIN, summary="Rename a skill from the admin page",
             form=True, content_type="text/html")
async def skills_rename(request: web.Request) -> web.Response:
    """Rename a skill."""
    form = await request.post()
    try:
        await request.app[QUEUES].update_skill(_actor(request), path_int(request, "id"), name=_text(form, "name"),
                                               name_zh=_text(form, "name_zh"))
    except DomainError as err:
        return await _skills_page(request, status=err.status, error=_skill_error(err))
    raise web.HTTPSeeOther("/admin/skills?notice=renamed")


@pages.route("POST", "/admin/skills/{id}/delete", policy=Policy.ADMIN, summary="Delete a skill from the admin page",
             form=True, content_type="text/html")
async def skills_delete(request: web.Request) -> web.Response:
    """Delete a skill with the proficiencies and queue wants naming it."""
    try:
        await request.app[QUEUES].delete_skill(_actor(request), path_int(request, "id"))
    except DomainError as err:
        return await _skills_page(request, status=err.status, error=_skill_error(err))
    raise web.HTTPSeeOther("/admin/skills?notice=deleted")


@pages.route("POST", "/admin/agents/{id}/skills", policy=Policy.ADMIN,
             summary="Set an agent's proficiencies from the admin page", form=True, content_type="text/html")
async def agent_skills_save(request: web.Request) -> web.Response:
    """Replace an agent's skills with the levels chosen in the form."""
    form = await request.post()
    try:
        await request.app[QUEUES].set_agent_skills(_actor(request), path_int(request, "id"), _levels(form))
    except DomainError as err:
        return await _skills_page(request, status=err.status, error=_skill_error(err))
    raise web.HTTPSeeOther("/admin/skills?notice=agent_saved")


# Queues


def _queue_error(err: DomainError) -> str:
    return f"admin.queues.error.{_problem(err, QUEUE_FIELDS)}"


def _queue_notice(request: web.Request) -> str | None:
    notice = _notice(request, QUEUE_NOTICES)
    return f"admin.queues.notice.{notice}" if notice else None


async def _queues_page(request: web.Request, *, status: int = 200, error: str | None = None) -> web.Response:
    found = await request.app[QUEUES].list_queues(after_id=_cursor(request, "cursor"), limit=PAGE + 1)
    return render(request, "admin/queues.html", status=status, queues=found[:PAGE],
                  next_cursor=found[PAGE - 1].id if len(found) > PAGE else None,
                  notice=_queue_notice(request), error=error or _csrf_error(request))


async def _queue_page(request: web.Request, queue_id: int, *, status: int = 200, error: str | None = None,
                      error_params: dict[str, str] | None = None) -> web.Response:
    queues = request.app[QUEUES]
    queue = await queues.get_queue(queue_id)
    others = [q for q in await queues.all_queues() if q.id != queue_id]
    wanted = {s.skill_id: s.level for s in queue.skills}
    return render(
        request, "admin/queue.html", status=status, queue=queue, others=others, skills=await queues.all_skills(),
        wanted=wanted, dispositions=await queues.dispositions(queue_id), actions=[a.value for a in OverflowAction],
        tiers=TIERS, levels=LEVELS,
        notice=_queue_notice(request), error=error or _csrf_error(request),
        error_params=error_params or {},
    )


def _to_queue(queue_id: int, notice: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/admin/queues/{queue_id}?notice={notice}")


@pages.route("GET", "/admin/queues", policy=Policy.ADMIN, summary="The queues admin page", content_type="text/html")
async def queues_page(request: web.Request) -> web.Response:
    """Queues with their main settings, and a form for a new one."""
    return await _queues_page(request)


@pages.route("POST", "/admin/queues", policy=Policy.ADMIN, summary="Add a queue from the admin page", form=True,
             content_type="text/html")
async def queues_create(request: web.Request) -> web.Response:
    """Add a queue with default settings, then go on to its page."""
    form = await request.post()
    settings = QueueSettings(key=_text(form, "key"), name=_text(form, "name"), name_zh=_text(form, "name_zh"))
    try:
        queue = await request.app[QUEUES].create_queue(_actor(request), settings)
    except DomainError as err:
        return await _queues_page(request, status=err.status, error=_queue_error(err))
    raise _to_queue(queue.id, "created")


@pages.route("GET", "/admin/queues/{id}", policy=Policy.ADMIN, summary="A queue's admin page",
             content_type="text/html")
async def queue_page(request: web.Request) -> web.Response:
    """A queue's settings, the skills it wants and its dispositions."""
    return await _queue_page(request, path_int(request, "id"))


@pages.route("POST", "/admin/queues/{id}", policy=Policy.ADMIN, summary="Save a queue's settings from its page",
             form=True, content_type="text/html")
async def queue_save(request: web.Request) -> web.Response:
    """Store the settings form."""
    queue_id = path_int(request, "id")
    form = await request.post()
    changes: dict[str, Any] = {name: _number(form, name) for name in QUEUE_NUMBERS}
    changes.update(name=_text(form, "name"), name_zh=_text(form, "name_zh"), enabled=form.get("enabled") == "on",
                   overflow_action=_text(form, "overflow_action"), overflow_queue=_text(form, "overflow_queue") or None,
                   tier_bonus={tier: _number(form, f"tier_{tier}") for tier in TIERS})
    try:
        await request.app[QUEUES].update_queue(_actor(request), queue_id, changes)
    except DomainError as err:
        return await _queue_page(request, queue_id, status=err.status, error=_queue_error(err))
    raise _to_queue(queue_id, "saved")


@pages.route("POST", "/admin/queues/{id}/skills", policy=Policy.ADMIN,
             summary="Save the skills a queue wants from its page", form=True, content_type="text/html")
async def queue_skills_save(request: web.Request) -> web.Response:
    """Replace the skills a queue wants with the levels chosen in the form."""
    queue_id = path_int(request, "id")
    form = await request.post()
    try:
        await request.app[QUEUES].update_queue(_actor(request), queue_id, {"skills": tuple(_levels(form))})
    except DomainError as err:
        return await _queue_page(request, queue_id, status=err.status, error=_queue_error(err))
    raise _to_queue(queue_id, "skills_saved")


@pages.route("POST", "/admin/queues/{id}/delete", policy=Policy.ADMIN, summary="Delete a queue from its page",
             form=True, content_type="text/html")
async def queue_delete(request: web.Request) -> web.Response:
    """Delete a queue; while numbers or queues use it, say which."""
    queue_id = path_int(request, "id")
    queues = request.app[QUEUES]
    try:
        await queues.delete_queue(_actor(request), queue_id)
    except DomainError as err:
        if err.code != "conflict":
            return await _queues_page(request, status=err.status, error=_queue_error(err))
        numbers, others = await queues.queue_users(queue_id)
        return await _queue_page(request, queue_id, status=err.status, error="admin.queues.error.in_use",
                                 error_params={"users": ", ".join(numbers + others)})
    raise web.HTTPSeeOther("/admin/queues?notice=deleted")


def _draft(form: Form) -> dict[str, Any]:
    position = _text(form, "position").strip()
    return {"code": _text(form, "code"), "label": _text(form, "label"), "label_zh": _text(form, "label_zh"),
            "first_contact_resolved": form.get("first_contact_resolved") == "on",
            "enabled": form.get("enabled") == "on",
            "position": None if not position else int(position) if position.isdigit() else -1}


@pages.route("POST", "/admin/queues/{id}/dispositions", policy=Policy.ADMIN,
             summary="Add a disposition from a queue's page", form=True, content_type="text/html")
async def disposition_add(request: web.Request) -> web.Response:
    """Add a disposition to the queue."""
    queue_id = path_int(request, "id")
    form = await request.post()
    try:
        await request.app[QUEUES].add_disposition(_actor(request), queue_id, DispositionDraft(**_draft(form)))
    except DomainError as err:
        return await _queue_page(request, queue_id, status=err.status, error=_queue_error(err))
    raise _to_queue(queue_id, "disposition_added")


async def _queue_of(request: web.Request) -> tuple[int, int]:
    """The queue and disposition ids of the path, when the disposition is the queue's."""
    queue_id, disposition_id = path_int(request, "id"), path_int(request, "disposition_id")
    if (await request.app[QUEUES].get_disposition(disposition_id)).queue_id != queue_id:
        raise NotFound("no such disposition in this queue")
    return queue_id, disposition_id


@pages.route("POST", "/admin/queues/{id}/dispositions/{disposition_id}", policy=Policy.ADMIN,
             summary="Change a disposition from its queue's page", form=True, content_type="text/html")
async def disposition_save(request: web.Request) -> web.Response:
    """Store a disposition's edit form."""
    form = await request.post()
    try:
        queue_id, disposition_id = await _queue_of(request)
        await request.app[QUEUES].update_disposition(_actor(request), disposition_id, _draft(form))
    except DomainError as err:
        return await _queue_page(request, path_int(request, "id"), status=err.status, error=_queue_error(err))
    raise _to_queue(queue_id, "disposition_saved")


@pages.route("POST", "/admin/queues/{id}/dispositions/{disposition_id}/delete", policy=Policy.ADMIN,
             summary="Remove a disposition from its queue's page", form=True, content_type="text/html")
async def disposition_delete(request: web.Request) -> web.Response:
    """Remove a disposition no call was wrapped up with."""
    try:
        queue_id, disposition_id = await _queue_of(request)
        await request.app[QUEUES].delete_disposition(_actor(request), disposition_id)
    except DomainError as err:
        error = "admin.queues.error.disposition_in_use" if err.code == "conflict" else _queue_error(err)
        return await _queue_page(request, path_int(request, "id"), status=err.status, error=error)
    raise _to_queue(queue_id, "disposition_removed")
