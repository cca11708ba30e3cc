"""Request and response models of the accounts API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from callcenter.accounts.models import AuditEntry, Role, User
from callcenter.schemas import PageQuery

Locale = Literal["en", "zh-Hans"]


class UserOut(BaseModel):
    """A user as the API shows it (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    locale: Locale | None
    disabled: bool
    created_at: int

    @classmethod
    def of(cls, user: User) -> UserOut:
        """From the domain type."""
        return cls(
            id=user.id, username=user.username, display_name=user.display_name, role=user.role,
            locale=user.locale, disabled=user.disabled, created_at=user.created_at,
        )


class UserCreate(BaseModel):
    """Create a user."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=8, max_length=256)
    role: Role
    display_name: str | None = Field(None, max_length=120)
    locale: Locale | None = None


class UserUpdate(BaseModel):
    """Change a user; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(None, min_length=1, max_length=120)
    role: Role | None = None
    locale: Locale | None = None
    disabled: bool | None = None


class PasswordReset(BaseModel):
    """A new password, set by an admin."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=8, max_length=256)


class UserQuery(PageQuery):
    """Filters of the user list."""

    q: str | None = Field(None, max_length=64, description="part of the username or name")
    role: Role | None = None
    disabled: bool | None = None


class LoginIn(BaseModel):
    """Credentials for a JSON login (scripts); the browser uses the login form."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class MeOut(BaseModel):
    """The logged-in user, with the token forms and JSON writes need."""

    user: UserOut
    csrf_token: str


class LocaleIn(BaseModel):
    """The language of one's own screens; null follows the browser."""

    model_config = ConfigDict(extra="forbid")

    locale: Locale | None


class AuditOut(BaseModel):
    """One audit log entry."""

    id: int
    at: int
    actor_id: int | None
    actor_role: str | None
    action: str
    target_kind: str | None
    target_id: str | None
    detail: str
    ip: str | None
    actor_username: str | None = None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        """From the domain type."""
        return cls(**entry.__dict__)


class AuditQuery(PageQuery):
    """Filters of the audit log (newest first; the cursor walks back)."""

    action: str | None = Field(None, max_length=64)
    actor_id: int | None = None
