"""Agents: presence (set by the agent or a supervisor, seen live) and devices (how PBXs name agents)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from callcenter.accounts.models import Actor, User
from callcenter.agents import store
from callcenter.agents.models import (
    AgentDirectory,
    Device,
    DeviceKind,
    normalize_device,
)
from callcenter.audit.service import record
from callcenter.clock import Clock
from callcenter.console.models import Notifier
from callcenter.db import Conn, Database
from callcenter.errors import Conflict, Invalid, NotFound, field_error

# Names are resolved on every ringing event, so the directory is kept in memory; users and devices
# may change in another process (a second node, the CLI), so it is trusted only this long.
DIRECTORY_MS = 5_000
MAX_LABEL = 60

_DEVICE_HINTS = {
    DeviceKind.EXTENSION: "digits only, e.g. 1001",
    DeviceKind.SIP: "a SIP URI, e.g. sip:alice@pbx.example.com",
    DeviceKind.TWILIO_CLIENT: "a Twilio client identity, e.g. alice or client:alice",
}


class AgentService:
    """Owns presence changes and their pushes, agents' devices and the name resolver."""

    def __init__(self, db: Database, clock: Clock, notifier: Notifier, directory_ms: int = DIRECTORY_MS) -> None:
        self.db = db
        self.clock = clock
        self.notifier = notifier
        self.directory_ms = directory_ms
        self._directory: tuple[AgentDirectory, int] | None = None
        self._generation = 0  # bumped by each device change, so a load begun before it is not kept
        self._directory_lock = asyncio.Lock()

    async def contact(self, user_id: int) -> dict[str, str | None]:
        """How a PBX reaches an agent: username, and the extension, SIP URI and Twilio identity to dial
        (the device chosen at login first, then the first of each kind)."""
        async with self.db.read() as conn:
            username = await store.username_of(conn, user_id)
            if username is None:
                raise NotFound("no such user")
            devices = await store.list_devices(conn, [user_id])
            active = (await store.get_active_devices(conn, [user_id])).get(user_id)
        out: dict[str, str | None] = {"username": username}
        for kind in DeviceKind:
            mine = [d for d in devices if d.kind is kind]
            mine.sort(key=lambda d: (d.id != active, d.id))
            out[kind.value] = mine[0].value if mine else None
        return out

    async def devices(self, user_id: int) -> tuple[list[Device], int | None]:
        """A user's devices and the id of the one they chose (None: not chosen)."""
        async with self.db.read() as conn:
            if not await store.user_exists(conn, user_id):
                raise NotFound("no such user")
            devices = await store.list_devices(conn, [user_id])
            active = await store.get_active_devices(conn, [user_id])
        return devices, active.get(user_id)

    async def devices_by_user(self, user_ids: Sequence[int]) -> tuple[dict[int, list[Device]], dict[int, int]]:
        """The devices of several users, and each one's chosen device id (for the admin page)."""
        async with self.db.read() as conn:
            devices = await store.list_devices(conn, user_ids)
            active = await store.get_active_devices(conn, user_ids)
        grouped: dict[int, list[Device]] = {u: [] for u in user_ids}
        for device in devices:
            grouped[device.user_id].append(device)
        return grouped, active

    async def add_device(
        self, actor: Actor, user_id: int, kind: DeviceKind, value: str, label: str | None = None
    ) -> Device:
        """Give a user a device; a device belongs to one user only (Conflict otherwise)."""
        normalized = normalize_device(kind, value)
        if normalized is None:
            raise Invalid(f"not a {kind.value} device", field_error("value", _DEVICE_HINTS[kind]))
        label = (label or "").strip() or None
        if label is not None and len(label) > MAX_LABEL:
            raise Invalid("label too long", field_error("label", f"at most {MAX_LABEL} characters"))
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            if not await store.user_exists(conn, user_id):
                raise NotFound("no such user")
            device = await store.insert_device(conn, user_id, kind, normalized, label, now)
            if device is None:
                owner = await store.owner_of(conn, kind, normalized)
                whose = "this agent" if owner == user_id else "another agent"
                raise Conflict("device taken", field_error("value", f"{whose} already has {normalized}"))
            await record(conn, now, actor, "agent.device.add", "user", user_id, device_id=device.id,
                         kind=kind.value, value=normalized)
        self._forget_directory()
        return device

    async def remove_device(self, actor: Actor, user_id: int, device_id: int) -> None:
        """Take a device away from a user (their choice of it is cleared with it)."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            device = await store.delete_device(conn, user_id, device_id)
            if device is None:
                raise NotFound("no such device")
            await record(conn, now, actor, "agent.device.remove", "user", user_id, device_id=device_id,
                         kind=device.kind.value, value=device.value)
        self._forget_directory()

    async def choose_device(self, user_id: int, device_id: int | None) -> Device | None:
        """The agent picks the device they work at now (hot desks); None clears the choice."""
        now = self.clock.now_ms()
        async with self.db.transaction() as conn:
            device = None if device_id is None else await store.get_device(conn, device_id)
            if device_id is not None and (device is None or device.user_id != user_id):
                raise Invalid("not your device", field_error("device_id", "not one of your devices"))
            await store.set_active_device(conn, user_id, device_id, now)
        return device

    async def resolve_agents(self, names: Sequence[str]) -> dict[str, int | None]:
        """Map each name a PBX sent for an agent to a user id; unmatched names map to None, never vanish."""
        directory = await self._current_directory()
        return {name: directory.resolve(name) for name in names}

    async def directory(self) -> AgentDirectory:
        """The current who-is-who, to resolve names without awaiting (inside a database batch)."""
        return await self._current_directory()

    async def _current_directory(self) -> AgentDirectory:
        cached = self._directory
        if cached is not None and 0 <= self.clock.now_ms() - cached[1] < self.directory_ms:
            return cached[0]
        async with self._directory_lock:
            cached = self._directory
            now = self.clock.now_ms()
            if cached is not None and 0 <= now - cached[1] < self.directory_ms:
                return cached[0]
            generation = self._generation
            async with self.db.read() as conn:
                directory = await store.load_directory(conn)
            if generation == self._generation:
                self._directory = (directory, now)
        return directory

    async def forget_directory(self, _user_id: int | None = None) -> None:
        """Users changed (one was created, renamed or disabled): read names afresh on next use."""
        self._forget_directory()

    def _forget_directory(self) -> None:
        self._generation += 1
        self._directory = None

    async def devices_part(self, conn: Conn, user: User) -> dict[str, Any]:
        """The snapshot part: the user's devices and the one chosen, so the console can ask at login."""
        devices = await store.list_devices(conn, [user.id])
        active = await store.get_active_devices(conn, [user.id])
        return {"active_device_id": active.get(user.id), "items": [d.payload() for d in devices]}
