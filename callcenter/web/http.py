"""Routes that declare their role policy and schemas, and the helpers every api.py uses."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from callcenter.accounts.models import Role, Session, User
from callcenter.errors import FieldError, Forbidden, Invalid, Unauthorized

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)

SESSION_KEY = web.RequestKey("session", object)
SPEC_ATTR = "__route_spec__"


class Policy(enum.StrEnum):
    """Who may call a route. Every route names one where it is defined."""

    PUBLIC = "public"  # anyone; a session is loaded if present
    INTEGRATION = "integration"  # a telephony system; the handler checks its token or signature
    AGENT = "agent"  # any logged-in user
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def role(self) -> Role | None:
        """The least role a session needs, or None when no session is needed."""
        return {"agent": Role.AGENT, "supervisor": Role.SUPERVISOR, "admin": Role.ADMIN}.get(self.value)


@dataclass(frozen=True)
class RouteSpec:
    """What a route is, for the router, the policy check and the OpenAPI document."""

    method: str
    path: str
    policy: Policy
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    content_type: str = "application/json"
    form: bool = False  # an HTML form post: CSRF token checked instead of Origin


@dataclass
class RouteTable:
    """The routes of one feature; ``create_app`` adds each table to the application."""

    tag: str
    specs: list[tuple[RouteSpec, Handler]] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        policy: Policy,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        content_type: str = "application/json",
        form: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Declare a route with its policy and schemas."""

        def register(handler: Handler) -> Handler:
            spec = RouteSpec(
                method, path, policy, summary, self.tag, body, query, response, status, content_type, form
            )
            setattr(handler, SPEC_ATTR, spec)
            self.specs.append((spec, handler))
            return handler

        return register

    def add_to(self, app: web.Application) -> None:
        """Register every route on the application's router."""
        for spec, handler in self.specs:
            app.router.add_route(spec.method, spec.path, handler)


def spec_of(handler: Any) -> RouteSpec | None:
    """The spec a handler was declared with, if any."""
    return getattr(handler, SPEC_ATTR, None)


def session_of(request: web.Request) -> Session | None:
    """The request's login session, if it has one."""
    value: Session | None = request.get(SESSION_KEY)
    return value


def user_of(request: web.Request) -> User:
    """The logged-in user (the policy check guarantees one on non-public routes)."""
    session = session_of(request)
    if session is None:
        raise Unauthorized()
    return session.user


def require_role(request: web.Request, role: Role) -> User:
    """The user, when their role is at least ``role``."""
    user = user_of(request)
    if not user.role.at_least(role):
        raise Forbidden(f"needs the {role.value} role")
    return user


def _fields(err: ValidationError, prefix: tuple[str, ...]) -> list[FieldError]:
    return [FieldError(prefix + tuple(e["loc"]), e["msg"]) for e in err.errors()]


async def read_json(request: web.Request) -> Any:
    """The request's body parsed as JSON; a 422 when it is not JSON."""
    try:
        return orjson.loads(await request.read())
    except orjson.JSONDecodeError as err:
        raise Invalid("body is not valid JSON", [FieldError(("body",), "invalid JSON")]) from err


async def parse_body(request: web.Request, model: type[M]) -> M:
    """The JSON body validated by a schema; a 422 naming each bad field otherwise."""
    data = await read_json(request)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise Invalid("request body is invalid", _fields(err, ("body",))) from err


def parse_query(request: web.Request, model: type[M]) -> M:
    """The query string validated by a schema."""
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as err:
        raise Invalid("query is invalid", _fields(err, ("query",))) from err


def parse_form(data: dict[str, Any], model: type[M]) -> M:
    """A posted HTML form validated by a schema."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise Invalid("form is invalid", _fields(err, ("form",))) from err


def path_int(request: web.Request, name: str) -> int:
    """An integer path parameter."""
    try:
        return int(request.match_info[name])
    except ValueError as err:
        raise Invalid(f"{name} must be an integer", [FieldError(("path", name), "not an integer")]) from err


def json_response(model: BaseModel | list[Any] | dict[str, Any], status: int = 200) -> web.Response:
    """Render a schema (or plain data) as JSON."""
    if isinstance(model, BaseModel):
        text = model.model_dump_json()
    else:
        import json

        text = json.dumps(model, ensure_ascii=False, default=str)
    return web.Response(text=text, status=status, content_type="application/json")


def client_ip(request: web.Request) -> str:
    """The client's address: the peer's, or the one a trusted proxy forwarded (``forwarded_middleware``)."""
    return request.remote or "unknown"
