"""Domain types of integrations: kinds, the integration record, its endpoints and its block list."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cached_property


class IntegrationKind(enum.StrEnum):
    """Which wire format an integration posts, and so how it authenticates."""

    GENERIC = "generic"  # our JSON, ``Authorization: Bearer <token>``
    ZAMMAD = "zammad"  # Zammad's generic CTI, token in the path
    TWILIO = "twilio"  # Twilio webhooks, ``X-Twilio-Signature`` made with the account's auth token

    @property
    def has_token(self) -> bool:
        """True when the integration authenticates with a token we issue."""
        return self is not IntegrationKind.TWILIO


@dataclass(frozen=True)
class Integration:
    """A telephony system allowed to post call events.

    ``token_hash`` and ``auth_token_secret`` never leave the service: the API shows neither.
    """

    id: int
    kind: IntegrationKind
    name: str
    token_hash: str | None
    account_sid: str | None
    auth_token_secret: str | None
    default_region: str
    block_list: tuple[str, ...]
    enabled: bool
    created_at: int
    updated_at: int

    @cached_property
    def _blocked(self) -> frozenset[str]:
        return frozenset(self.block_list)

    def is_blocked(self, e164: str | None) -> bool:
        """True when a caller's normalized number is on this integration's block list."""
        return e164 is not None and e164 in self._blocked


def endpoints(kind: IntegrationKind, public_url: str, token: str | None = None) -> dict[str, str]:
    """The URLs to configure in the telephony system; Zammad's needs the clear token to be complete."""
    base = public_url.rstrip("/")
    if kind is IntegrationKind.GENERIC:
        return {"events": f"{base}/api/telephony/events"}
    if kind is IntegrationKind.ZAMMAD:
        return {"cti": f"{base}/api/v1/cti/{token or '{token}'}"}
    return {"voice": f"{base}/api/telephony/twilio/voice", "status": f"{base}/api/telephony/twilio/status"}
