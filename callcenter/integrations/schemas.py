"""Request and response models of the integrations API; tokens and auth tokens are never answered."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from callcenter.integrations.models import Integration, IntegrationKind
from callcenter.schemas import PageQuery

Number = Annotated[str, Field(max_length=64)]


class IntegrationOut(BaseModel):
    """An integration as the API shows it: no token hash, no auth token."""

    id: int
    kind: IntegrationKind
    name: str
    default_region: str
    block_list: list[str] = Field(description="blocked caller numbers, E.164")
    enabled: bool
    account_sid: str | None = Field(description="Twilio account SID (twilio only)")
    has_auth_token: bool = Field(description="whether a Twilio auth token is stored (it is never shown)")
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, integration: Integration) -> IntegrationOut:
        """From the domain type."""
        return cls(
            id=integration.id, kind=integration.kind, name=integration.name,
            default_region=integration.default_region, block_list=list(integration.block_list),
            enabled=integration.enabled, account_sid=integration.account_sid,
            has_auth_token=integration.auth_token_secret is not None, created_at=integration.created_at,
            updated_at=integration.updated_at,
        )


class IntegrationSecretOut(BaseModel):
    """A new or rotated integration with its token, shown this once, and the URLs to configure."""

    integration: IntegrationOut
    token: str | None = Field(description="Bearer token (generic) or path token (zammad); shown only now")
    endpoints: dict[str, str] = Field(description="URLs to configure in the telephony system")


class IntegrationCreate(BaseModel):
    """Add an integration; twilio needs ``account_sid`` and ``auth_token``, the others take neither."""

    model_config = ConfigDict(extra="forbid")

    kind: IntegrationKind
    name: str = Field(min_length=1, max_length=80)
    default_region: str | None = Field(None, min_length=2, max_length=2,
                                       description="ISO 3166 region; the server's default when omitted")
    block_list: list[Number] = Field(default_factory=list, max_length=1000)
    account_sid: str | None = Field(None, max_length=64)
    auth_token: str | None = Field(None, max_length=256, description="write-only")


class IntegrationUpdate(BaseModel):
    """Change an integration; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=80)
    default_region: str | None = Field(None, min_length=2, max_length=2)
    block_list: list[Number] | None = Field(None, max_length=1000)
    enabled: bool | None = None
    account_sid: str | None = Field(None, max_length=64)
    auth_token: str | None = Field(None, max_length=256, description="write-only")


class IntegrationQuery(PageQuery):
    """Filters of the integration list."""

    kind: IntegrationKind | None = None
    enabled: bool | None = None
