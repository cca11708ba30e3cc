"""The framework floor: a bare aiohttp JSON POST handler and a bare Socket.IO emit to one room."""

from __future__ import annotations

import sys

import socketio
from aiohttp import web


def main() -> None:
    port = int(sys.argv[1])
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    app = web.Application()
    sio.attach(app)

    @sio.on("connect")
    async def connect(sid: str, environ: dict[str, object], auth: dict[str, str] | None = None) -> None:
        if auth and "room" in auth:
            await sio.enter_room(sid, auth["room"])

    async def echo(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"ok": True, "call_id": body.get("call_id")})

    async def emit(request: web.Request) -> web.Response:
        body = await request.json()
        await sio.emit("call:pop", body, room=body["room"])
        return web.json_response({"ok": True})

    async def login(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_post("/echo", echo)
    app.router.add_post("/emit", emit)
    app.router.add_get("/login", login)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
