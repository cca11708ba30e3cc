"""Socket.IO handlers of agents' states: ``agent:presence`` and ``agent:wrap_up``; presence follows sockets."""

from __future__ import annotations

from typing import Any

from callcenter.accounts.models import Role, User
from callcenter.routing.schemas import PresenceIn, WrapUpIn
from callcenter.routing.service import RoutingService


def presence_handler(routing: RoutingService) -> Any:
    """The handler for ``agent:presence``: validate, change, answer the new state."""

    async def handle(user: User, data: Any) -> dict[str, Any]:
        body = PresenceIn.model_validate(data)
        return {"state": await routing.set_presence(user.id, body.presence, body.reason)}

    return handle


def wrap_up_handler(routing: RoutingService) -> Any:
    """The handler for ``agent:wrap_up``."""

    async def handle(user: User, data: Any) -> dict[str, Any]:
        body = WrapUpIn.model_validate(data)
        return {"state": await routing.wrap_up(user.id, body.call_id, body.disposition_id, body.notes)}

    return handle


def connection_hooks(routing: RoutingService) -> tuple[Any, Any]:
    """(on connect, on disconnect): agents' sockets counted across nodes for the offline grace period."""

    async def connected(user: User, sid: str) -> None:
        if user.role in (Role.AGENT, Role.SUPERVISOR):
            await routing.presence.connected(user.id, sid)

    async def disconnected(user: User, sid: str) -> None:
        if user.role in (Role.AGENT, Role.SUPERVISOR):
            await routing.presence.disconnected(user.id, sid)

    return connected, disconnected
