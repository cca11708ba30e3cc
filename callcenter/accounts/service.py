"""Accounts: creating and changing users, logging in and out, sessions and throttling."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from callcenter.accounts import store
from callcenter.accounts.hashing import PasswordHasher
from callcenter.accounts.models import LOCALES, Actor, Role, Session, User, valid_username
from callcenter.audit.service import record
from callcenter.clock import Clock
from callcenter.console.models import Notifier
from callcenter.db import Conn, Database
from callcenter.errors import Conflict, Invalid, NotFound, RateLimited, Unauthorized, field_error

MIN_PASSWORD = 8
TOUCH_EVERY_MS = 60_000


@dataclass(frozen=True)
class AccountPolicy:
    """Limits that come from settings."""

    session_ttl_s: int = 12 * 3600
    max_failures: int = 5
    window_s: int = 900


def hash_token(token: str) -> str:
    """What is stored for a session token: its SHA-256, so a leaked table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid("password too short", field_error("password", f"at least {MIN_PASSWORD} characters"))


def _check_locale(locale: str | None) -> None:
    if locale is not None and locale not in LOCALES:
        raise Invalid("unknown locale", field_error("locale", f"one of {', '.join(LOCALES)}"))


class AccountService:
    """Everything about who may log in and what they may do."""

    def __init__(
        self, db: Database, clock: Clock, hasher: PasswordHasher, notifier: Notifier, policy: AccountPolicy
    ) -> None:
        self.db = db
        self.clock = clock
        self.hasher = hasher
        self.notifier = notifier
        self.policy = policy
        # Told the id of a user created, or whose role or enabled flag changed, after the commit
        # (routing re-reads them; the agent directory forgets its names).
        self.user_listeners: list[Callable[[int], Awaitable[None]]] = []

    async def create_user(
        self, actor: Actor, username: str, password: str, role: Role, display_name: str | None = None,
        locale: str | None = None,
    ) -> User:
        """Add a user; the username must be free."""
        if not valid_username(username):
            raise Invalid("bad username", field_error("username", "2–64 letters, digits, '.', '-', '_', '@'"))
        _check_password(password)
        _check_locale(locale)
        encoded = await self.hasher.hash(password)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            user = await store.insert_user(conn, username, display_name or username, role, encoded, locale, now)
            if user is None:
                raise Conflict("username taken", field_error("username", "already exists"))
            await record(conn, now, actor, "user.create", "user", user.id, username=username, role=role.value)
        for listener in self.user_listeners:
            await listener(user.id)
        return user

    async def get_user(self, user_id: int) -> User:
        """One user, or NotFound."""
        async with self.db.read() as conn:
            user = await store.get_user(conn, user_id)
        if user is None:
            raise NotFound("no such user")
        return user

    async def list_users(
        self, *, after_id: int = 0, limit: int = 50, role: Role | None = None, q: str | None = None,
        disabled: bool | None = None,
    ) -> list[User]:
        """Users by id, filtered, one page."""
        async with self.db.read() as conn:
            return await store.list_users(conn, after_id=after_id, limit=limit, role=role, q=q, disabled=disabled)

    async def update_user(
        self, actor: Actor, user_id: int, *, display_name: str | None = None, role: Role | None = None,
        locale: str | None = None, disabled: bool | None = None,
    ) -> User:
        """Change a user; disabling one ends all their sessions at once."""
        _check_locale(locale)
        changes: dict[str, object] = {}
        if display_name is not None:
            if not display_name.strip():
                raise Invalid("empty name", field_error("display_name", "must not be empty"))
            changes["display_name"] = display_name.strip()
        if role is not None:
            changes["role"] = role.value
        if locale is not None:
            changes["locale"] = locale
        if disabled is not None:
            if disabled and actor.user_id == user_id:
                raise Invalid("cannot disable yourself", field_error("disabled", "you cannot disable yourself"))
            changes["disabled"] = disabled
        now = self.clock.now_ms()
        ended: list[str] = []
        async with self.db.transaction() as conn:
            if changes and not await store.update_user(conn, user_id, now, **changes):
                raise NotFound("no such user")
            user = await store.get_user(conn, user_id)
            if user is None:
                raise NotFound("no such user")
            if disabled:
                ended = await store.delete_user_sessions(conn, user_id)
            await record(conn, now, actor, "user.update", "user", user_id, **changes)
        if ended:
            await self.notifier.end_sessions(ended)
        if role is not None or disabled is not None or display_name is not None:
            for listener in self.user_listeners:
                await listener(user_id)
        return user

    async def set_own_locale(self, user: User, locale: str | None) -> User:
        """A user picks the language of their own screens (None: follow the browser)."""
        _check_locale(locale)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            if locale is None:
                await conn.execute("UPDATE users SET locale = NULL, updated_at = ? WHERE id = ?", (now, user.id))
            else:
                await store.update_user(conn, user.id, now, locale=locale)
            updated = await store.get_user(conn, user.id)
        assert updated is not None
        return updated

    async def reset_password(self, actor: Actor, user_id: int, password: str) -> None:
        """Set a new password and end the user's sessions."""
        _check_password(password)
        encoded = await self.hasher.hash(password)
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            if not await store.update_user(conn, user_id, now, password_hash=encoded):
                raise NotFound("no such user")
            ended = await store.delete_user_sessions(conn, user_id)
            await record(conn, now, actor, "user.reset_password", "user", user_id)
        await self.notifier.end_sessions(ended)

    async def login(
        self, username: str, password: str, ip: str, user_agent: str | None = None
    ) -> tuple[str, Session]:
        """Check a password and open a session; throttled per username and per address."""
        now = self.clock.now_ms()
        since = now - self.policy.window_s * 1000
        async with self.db.read() as conn:
            by_user = await store.count_failures(conn, "username", username, since)
            by_ip = await store.count_failures(conn, "ip", ip, since)
            found = await store.get_login(conn, username)
        if by_user >= self.policy.max_failures or by_ip >= self.policy.max_failures * 4:
            raise RateLimited("too many failed logins; try again later", self.policy.window_s)
        ok = await self.hasher.verify(found[1] if found else None, password)
        user = found[0] if found else None
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        expires = now + self.policy.session_ttl_s * 1000
        async with self.db.transaction() as conn:
            success = ok and user is not None and not user.disabled
            await store.insert_login_attempt(conn, username, ip, now, success)
            if success and user is not None:
                await store.insert_session(conn, hash_token(token), user.id, csrf, now, expires, ip, user_agent)
        if not success or user is None:
            raise Unauthorized("wrong username or password")
        return token, Session(hash_token(token), user, csrf, expires)

    async def session_for(self, token: str) -> Session | None:
        """The live session a cookie names, sliding its idle expiry now and then."""
        now = self.clock.now_ms()
        token_hash = hash_token(token)
        async with self.db.read() as conn:
            found = await store.get_session(conn, token_hash, now)
        if found is None:
            return None
        session, last_seen = found
        if now - last_seen >= TOUCH_EVERY_MS:
            async with self.db.transaction() as conn:
                await store.touch_session(conn, token_hash, now, now + self.policy.session_ttl_s * 1000)
        return session

    async def logout(self, token_hash: str) -> None:
        """End one session and every socket opened with it."""
        async with self.db.transaction() as conn:
            await store.delete_session(conn, token_hash)
        await self.notifier.end_sessions([token_hash])

    async def snapshot_part(self, conn: Conn, user: User) -> dict[str, Any]:
        """The console snapshot's ``me``: who is logged in."""
        return {"id": user.id, "username": user.username, "display_name": user.display_name,
                "role": user.role.value, "locale": user.locale}

    async def prune(self, now: int) -> None:
        """Forget expired sessions and old login attempts."""
        async with self.db.transaction() as conn:
            await store.delete_expired_sessions(conn, now)
            await store.delete_login_attempts_before(conn, now - self.policy.window_s * 1000)
