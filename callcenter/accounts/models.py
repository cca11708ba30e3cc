"""Domain types of accounts: roles, users, sessions, audit entries."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    """What a user may do; each role includes the ones before it."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Order of privilege: agent < supervisor < admin."""
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        """True when this role may do what ``other`` may."""
        return self.rank >= other.rank


LOCALES = ("en", "zh-Hans")


@dataclass(frozen=True)
class User:
    """A person who logs in."""

    id: int
    username: str
    display_name: str
    role: Role
    locale: str | None
    disabled: bool
    created_at: int


@dataclass(frozen=True)
class Session:
    """A server-side login session; the cookie carries only a random token."""

    token_hash: str
    user: User
    csrf_token: str
    expires_at: int


@dataclass(frozen=True)
class AuditEntry:
    """One recorded admin or supervisor action."""

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


def valid_username(name: str) -> bool:
    """Usernames are what PBXs and scripts type: letters, digits, dot, dash, underscore, 2–64."""
    return 2 <= len(name) <= 64 and all(c.isalnum() or c in "._-@" for c in name) and name.isascii()


@dataclass(frozen=True)
class Actor:
    """Who is doing something, for the audit log: a user and the address they came from."""

    user_id: int | None
    role: str | None
    ip: str | None = None

    @classmethod
    def of(cls, user: User, ip: str | None = None) -> Actor:
        """The actor for a logged-in user."""
        return cls(user.id, user.role.value, ip)


SYSTEM = Actor(None, "system", None)
