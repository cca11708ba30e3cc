"""The Socket.IO channel: authenticated connections, rooms, acks, and the notifier services call."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from http.cookies import SimpleCookie
from typing import Any

import orjson
import socketio
from pydantic import ValidationError

from callcenter.accounts.models import Role, Session, User
from callcenter.accounts.service import AccountService
from callcenter.console.models import Push
from callcenter.errors import DomainError

log = logging.getLogger(__name__)

EventHandler = Callable[[User, Any], Awaitable[dict[str, Any]]]
# Given the user of a connecting socket, the rooms a feature puts it in (e.g. its teams).
RoomProvider = Callable[[User], Awaitable[list[str]]]
COOKIE = "cc_session"


def user_room(user_id: int) -> str:
    """The room of one user's sockets (every tab of theirs)."""
    return f"agent:{user_id}"


def session_room(token_hash: str) -> str:
    """The room of the sockets opened with one login session."""
    return f"session:{token_hash}"


class FastJson:
    """The ``json`` interface python-socketio uses, backed by orjson (a pop encodes ~7x faster)."""

    @staticmethod
    def dumps(obj: Any, **_options: Any) -> str:
        """Compact JSON text; orjson never escapes non-ASCII, which WebSocket text frames carry fine."""
        return orjson.dumps(obj).decode()

    @staticmethod
    def loads(text: str | bytes, **_options: Any) -> Any:
        """Parse JSON text."""
        return orjson.loads(text)


class JsonPacket(socketio.packet.Packet):  # type: ignore[misc]
    """Packets of plain JSON: our events never carry bytes, so the per-emit walk looking for them is skipped."""

    uses_binary_events = False


class Realtime:
    """Owns the Socket.IO server; implements ``Notifier`` for the services."""

    def __init__(self, allowed_origins: list[str], redis_url: str | None = None) -> None:
        manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
        self.redis_url = redis_url
        self.allowed_origins = set(allowed_origins)
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp",
            cors_allowed_origins=self.origin_allowed,
            client_manager=manager,
            serializer=JsonPacket,
            json=FastJson,
            logger=False,
            engineio_logger=False,
        )
        self.accounts: AccountService | None = None
        self.sio.on("connect", self._connect)
        self.sio.on("disconnect", self._disconnect)
        self.on_connect: list[Callable[[User, str], Awaitable[None]]] = []  # (user, sid)
        self.on_disconnect: list[Callable[[User, str], Awaitable[None]]] = []
        self.room_providers: list[RoomProvider] = []

    def origin_allowed(self, origin: str | None, environ: dict[str, Any]) -> bool:
        """Browsers must come from our public URL or the host they asked for (same origin)."""
        if not origin:
            return True  # not a browser: the session cookie alone decides
        origin = origin.rstrip("/")
        same = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin in self.allowed_origins or origin == same

    def bind(self, accounts: AccountService) -> None:
        """Give the channel the accounts service it authenticates with."""
        self.accounts = accounts

    def on(self, event: str, handler: EventHandler) -> None:
        """Register a client → server event; errors become ``{ok: false, error}`` acks here only."""

        async def dispatch(sid: str, data: Any = None) -> dict[str, Any]:
            saved = await self.sio.get_session(sid)
            user: User | None = saved.get("user")
            if user is None:
                return {"ok": False, "error": {"code": "unauthorized", "message": "login required"}}
            try:
                result = await handler(user, data)
            except ValidationError as err:
                fields = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in err.errors()]
                return {"ok": False, "error": {"code": "invalid", "message": "invalid data", "fields": fields}}
            except DomainError as err:
                fields = [{"loc": list(f.loc), "msg": f.msg} for f in err.fields]
                return {"ok": False, "error": {"code": err.code, "message": err.message, "fields": fields}}
            return {"ok": True, **result}

        self.sio.on(event, dispatch)

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        if not self.origin_allowed(environ.get("HTTP_ORIGIN"), environ):
            raise socketio.exceptions.ConnectionRefusedError("origin not allowed")
        session = await self._session(environ)
        if session is None:
            raise socketio.exceptions.ConnectionRefusedError("login required")
        user = session.user
        await self.sio.save_session(sid, {"user": user, "token_hash": session.token_hash})
        await self.sio.enter_room(sid, user_room(user.id))
        await self.sio.enter_room(sid, session_room(session.token_hash))
        if user.role.at_least(Role.SUPERVISOR):
            await self.sio.enter_room(sid, "supervisors")
        for provider in self.room_providers:
            for room in await provider(user):
                await self.sio.enter_room(sid, room)
        for hook in self.on_connect:
            await hook(user, sid)

    async def _session(self, environ: dict[str, Any]) -> Session | None:
        if self.accounts is None:
            return None
        cookie = SimpleCookie()
        try:
            cookie.load(environ.get("HTTP_COOKIE", ""))
        except Exception:  # a malformed cookie header is simply no login
            return None
        morsel = cookie.get(COOKIE)
        return await self.accounts.session_for(morsel.value) if morsel else None

    async def _disconnect(self, sid: str, reason: Any = None) -> None:
        saved = await self.sio.get_session(sid)
        user: User | None = saved.get("user")
        if user is not None:
            for hook in self.on_disconnect:
                await hook(user, sid)

    def connected_count(self, user_id: int) -> int:
        """Sockets of a user connected to this node."""
        return len(list(self.sio.manager.get_participants("/", user_room(user_id))))

    async def send(self, pushes: Sequence[Push]) -> None:
        """Emit numbered pushes to their users' rooms."""
        for push in pushes:
            await self.sio.emit(push.event, push.wire(), room=user_room(push.user_id))

    async def broadcast(self, room: str, event: str, payload: dict[str, Any]) -> None:
        """Emit a rebuildable state update to a room."""
        if self.redis_url is None and not self.sio.manager.rooms.get("/", {}).get(room):
            return  # nobody in the room on the only node: skip encoding a message no one gets
        await self.sio.emit(event, payload, room=room)

    async def join_rooms(self, user_id: int, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        """Move a user's sockets on this node into and out of rooms (other nodes' sockets: at reconnect)."""
        for sid, _eio in list(self.sio.manager.get_participants("/", user_room(user_id))):
            for room in add:
                await self.sio.enter_room(sid, room)
            for room in remove:
                await self.sio.leave_room(sid, room)

    async def end_sessions(self, token_hashes: Sequence[str]) -> None:
        """Tell and then disconnect every socket opened with these sessions."""
        for token_hash in token_hashes:
            room = session_room(token_hash)
            await self.sio.emit("session:ended", {}, room=room)
            for sid, _eio in list(self.sio.manager.get_participants("/", room)):
                await self.sio.disconnect(sid)
