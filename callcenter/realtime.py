"""The Socket.IO channel: authenticated connections, rooms, acks, and the notifier services call.

With ``CALLCENTER_REDIS_URL`` several nodes share one channel through python-socketio's Redis
manager: an emit to a room reaches its sockets on every node. Operations on sockets found by room
(ending a session's sockets, moving a user's sockets between rooms) are published on the same
Redis channel as a control message, and each node applies them to the sockets it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from http.cookies import SimpleCookie
from typing import Any

import engineio
import orjson
import socketio
from pydantic import ValidationError

from callcenter.accounts.models import Role, Session, User
from callcenter.accounts.service import AccountService
from callcenter.console.models import BUNDLE, Push
from callcenter.errors import DomainError

log = logging.getLogger(__name__)

EventHandler = Callable[[User, Any], Awaitable[dict[str, Any]]]
# Given the user of a connecting socket, the rooms a feature puts it in (e.g. its teams).
RoomProvider = Callable[[User], Awaitable[list[str]]]
# Applies a control operation (name, arguments) to this node's own sockets.
ControlHandler = Callable[[str, dict[str, Any]], Awaitable[None]]
COOKIE = "cc_session"
# The ``method`` of our messages on the manager's channel; python-socketio's own methods are plain words.
CONTROL_METHOD = "callcenter:control"


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


class LocalManager(socketio.AsyncManager):  # type: ignore[misc]
    """python-socketio's one-node manager, sending to a room's sockets one after another.

    The stock manager starts a task per recipient and waits for them all; a send only queues the
    frame for the socket's writer and never waits, so for the one or two sockets of a user's room
    those tasks were most of what an emit cost. Emits with an acknowledgement callback, which we
    never use, keep the stock path.
    """

    async def emit(self, event: str, data: Any, namespace: str, room: str | None = None, skip_sid: Any = None,
                   callback: Any = None, to: str | None = None, **kwargs: Any) -> None:
        """Emit an event to a room (or to everyone in the namespace)."""
        if callback is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to,
                               **kwargs)
            return
        skipped = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        targets = [eio_sid for sid, eio_sid in self.get_participants(namespace, to or room) if sid not in skipped] \
            if namespace in self.rooms else []
        if not targets:
            return  # nobody to tell: nothing is encoded
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(socketio.packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        frames = [engineio.packet.Packet(engineio.packet.MESSAGE, part)
                  for part in (encoded if isinstance(encoded, list) else [encoded])]
        for eio_sid in targets:
            for frame in frames:
                await self.server._send_eio_packet(eio_sid, frame)


class NodeManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """python-socketio's Redis manager, also carrying our control operations to every node.

    Control messages travel on the manager's own channel and connection (its reconnects and
    retries included): ``_listen``, the hook a pub/sub manager implements, takes ours out of the
    stream and hands every other message on already parsed, so nothing is decoded twice.
    """

    def __init__(self, url: str, apply: ControlHandler, channel: str) -> None:
        super().__init__(url, channel=channel)
        self.apply = apply

    async def publish_control(self, op: str, args: dict[str, Any]) -> None:
        """Ask every other node to apply ``op`` to its own sockets."""
        await self._publish({"method": CONTROL_METHOD, "op": op, "args": args, "host_id": self.host_id})

    async def _listen(self) -> AsyncIterator[Any]:
        async for message in super()._listen():
            try:
                data = self.json.loads(message)
            except ValueError:
                yield message  # not ours; the manager ignores what it cannot parse either
                continue
            if not isinstance(data, dict) or data.get("method") != CONTROL_METHOD:
                yield data
                continue
            if data.get("host_id") == self.host_id:
                continue  # applied here before it was published
            try:
                await self.apply(str(data["op"]), dict(data["args"]))
            except Exception:  # one bad message must not stop the node listening
                log.exception("control message %r failed", data.get("op"))

    async def ping(self) -> bool:
        """Whether Redis answers on the manager's connection (opened on first use, as the manager does)."""
        try:
            if not self.connected or self.redis is None:
                self._redis_connect()
            return bool(await self.redis.ping())
        except Exception as err:  # any failure to reach Redis is an answer here, not an error
            log.warning("Redis did not answer a ping: %s", err)  # one line: monitors ask every few seconds
            return False

    async def close(self) -> None:
        """Stop listening and drop the Redis connections."""
        task = getattr(self, "thread", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.pubsub is not None:
            await self.pubsub.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        self.connected = False


class Realtime:
    """Owns the Socket.IO server; implements ``Notifier`` for the services."""

    def __init__(self, allowed_origins: list[str], redis_url: str | None = None,
                 redis_channel: str = "socketio") -> None:
        self.nodes = NodeManager(redis_url, self._apply, redis_channel) if redis_url else None
        manager = self.nodes or LocalManager()
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
        """Emit numbered pushes to their users' rooms: one message per user, several in one ``BUNDLE``."""
        by_user: dict[int, list[Push]] = {}
        for push in pushes:
            by_user.setdefault(push.user_id, []).append(push)
        for user_id, own in by_user.items():
            if len(own) == 1:
                await self.sio.emit(own[0].event, own[0].wire(), room=user_room(user_id))
            else:
                await self.sio.emit(BUNDLE, [{"event": p.event, "data": p.wire()} for p in own],
                                    room=user_room(user_id))

    async def broadcast(self, room: str, event: str, payload: dict[str, Any]) -> None:
        """Emit a rebuildable state update to a room."""
        if self.redis_url is None and not self.sio.manager.rooms.get("/", {}).get(room):
            return  # nobody in the room on the only node: skip encoding a message no one gets
        await self.sio.emit(event, payload, room=room)

    async def join_rooms(self, user_id: int, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        """Move a user's sockets, on every node, into and out of rooms."""
        await self._control("join_rooms", {"user_id": user_id, "add": list(add), "remove": list(remove)})

    async def end_sessions(self, token_hashes: Sequence[str]) -> None:
        """Tell and then disconnect every socket opened with these sessions, on every node."""
        if token_hashes:
            await self._control("end_sessions", {"token_hashes": list(token_hashes)})

    async def disconnect_all(self) -> None:
        """Close every socket of this node, at shutdown: clients reconnect (to another node) at once.

        Otherwise each WebSocket stays open until the web server's shutdown timeout gives up on it.
        """
        if self.sio.eio.sockets:  # engine.io's own call fails on an empty list
            await self.sio.eio.disconnect()

    async def channel_ok(self) -> bool | None:
        """Whether this node reaches the channel it shares with the other nodes (None: one node, no channel)."""
        return None if self.nodes is None else await self.nodes.ping()

    async def close(self) -> None:
        """Stop listening to the other nodes (a no-op on a single node)."""
        if self.nodes is not None:
            await self.nodes.close()

    async def _control(self, op: str, args: dict[str, Any]) -> None:
        """Apply an operation to this node's sockets, then have every other node apply it to its own."""
        await self._apply(op, args)
        if self.nodes is not None:
            await self.nodes.publish_control(op, args)

    async def _apply(self, op: str, args: dict[str, Any]) -> None:
        """One control operation on the sockets this node holds (room lists are per node)."""
        if op == "join_rooms":
            for sid in self._local("/", user_room(int(args["user_id"]))):
                for room in args["add"]:
                    await self.sio.enter_room(sid, room)
                for room in args["remove"]:
                    await self.sio.leave_room(sid, room)
        elif op == "end_sessions":
            for token_hash in args["token_hashes"]:
                room = session_room(token_hash)
                sids = self._local("/", room)
                if not sids:
                    continue
                await self.sio.emit("session:ended", {}, room=room, ignore_queue=True)
                for sid in sids:
                    await self.sio.disconnect(sid, ignore_queue=True)
        else:
            log.warning("unknown control operation %r", op)

    def _local(self, namespace: str, room: str) -> list[str]:
        """The sids in a room on this node."""
        return [sid for sid, _eio in self.sio.manager.get_participants(namespace, room)]
