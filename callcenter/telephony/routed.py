"""A routing answer with how to reach the chosen agent, in each PBX's own words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callcenter.routing.models import Action, RouteAnswer
from callcenter.telephony import zammad


@dataclass(frozen=True)
class RoutedCall:
    """Where a call goes (``answer``) and the chosen agent's username and devices (``contact``)."""

    answer: RouteAnswer
    contact: dict[str, str | None] | None

    def payload(self) -> dict[str, Any]:
        """Our JSON protocol's ``route`` object: the answer, the agent's username and devices."""
        out = self.answer.payload()
        if self.contact is not None:
            out["agent"] = self.contact["username"]
            out["devices"] = {k: v for k, v in self.contact.items() if k != "username" and v is not None}
        return out

    def zammad(self, caller: str) -> dict[str, Any]:
        """Zammad's documented answers: dial the agent's extension (or SIP URI), reject, or ``{}`` to go on."""
        answer = self.answer
        if answer.action is Action.DIAL and self.contact is not None:
            number = self.contact.get("extension") or self.contact.get("sip") or self.contact["username"] or ""
            return zammad.answer_dial(number, caller)
        if answer.action is Action.REJECT or (answer.action in (Action.CLOSED, Action.OVERFLOW)
                                              and not answer.retry_after_s):
            return zammad.answer_reject()
        return zammad.answer_ok()
