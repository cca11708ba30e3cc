"""Socket.IO handlers of agents: ``agent:presence``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from callcenter.accounts.models import User
from callcenter.agents.models import Presence
from callcenter.agents.service import AgentService


class PresenceIn(BaseModel):
    """``agent:presence`` from the console."""

    model_config = ConfigDict(extra="forbid")

    presence: Presence
    reason: str | None = Field(None, max_length=40)


def presence_handler(agents: AgentService) -> Any:
    """The handler for ``agent:presence``: validate, change, answer the new state."""

    async def handle(user: User, data: Any) -> dict[str, Any]:
        body = PresenceIn.model_validate(data)
        state = await agents.set_presence(user.id, body.presence, body.reason)
        return {"state": state.payload()}

    return handle
