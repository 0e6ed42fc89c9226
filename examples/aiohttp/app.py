"""aiohttp + aiohttp-session (Redis), and a python-socketio server on the same aiohttp app.

Run: ``python examples/aiohttp/app.py`` (``PORT``, ``REDIS_URL``). aiohttp-session keeps the
session in Redis under its ``RedisStorage``; ``formats.aiohttp(storage="redis")`` reads its
cookie and entries, and sockets write them back.
"""

from __future__ import annotations

import os
from typing import Any

import redis.asyncio
import socketio
from aiohttp import web
from aiohttp_session import get_session, setup
from aiohttp_session.redis_storage import RedisStorage

from sessio import Failure, SessionError, formats
from sessio.aio import AsyncSession, AsyncSessionSockets, RedisStore, revoke

PORT = int(os.environ.get("PORT", "8000"))
REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")

FORMAT = formats.aiohttp(storage="redis")  # cookie_name, key_prefix, max_age as RedisStorage's
STORE = web.AppKey("store", RedisStore)
routes = web.RouteTableDef()


@routes.get("/login")
async def login(request: web.Request) -> web.Response:
    session = await get_session(request)
    session["user"] = request.query["user"]
    return web.json_response({"user": session["user"]})


@routes.get("/logout")
async def logout(request: web.Request) -> web.Response:
    session = await get_session(request)
    if session.identity is not None:
        # Gone from Redis, and its sockets disconnected on every server.
        await revoke(request.app[STORE], FORMAT, str(session.identity))
    # aiohttp-session then stores the emptied session under the same key, so the old cookie
    # still names a (now empty) session: connect below wants a user in it.
    session.invalidate()
    return web.json_response({"user": None})


@routes.get("/whoami")
async def whoami(request: web.Request) -> web.Response:
    return web.json_response(dict(await get_session(request)))


async def build() -> web.Application:
    app = web.Application()
    setup(app, RedisStorage(redis.asyncio.Redis.from_url(REDIS_URL)))  # cookie AIOHTTP_SESSION
    app.add_routes(routes)
    app[STORE] = RedisStore(redis.asyncio.Redis.from_url(REDIS_URL))
    sio = socketio.AsyncServer(async_mode="aiohttp")
    sessions = AsyncSessionSockets(sio, app[STORE], FORMAT, require_session=True)

    @sessions.on("connect")
    async def connect(err: Failure | None, sid: str, session: AsyncSession | None) -> bool:
        return session is not None and "user" in session  # logged in, not merely a session

    @sessions.on("incr")
    async def incr(sid: str, session: AsyncSession) -> dict[str, Any]:
        try:
            session["count"] = session.get("count", 0) + 1
            await session.save()
        except SessionError as error:
            return {"error": error.code}
        return {"count": session["count"]}

    sio.attach(app)
    sessions.start()
    return app


if __name__ == "__main__":
    print(f"listening on http://127.0.0.1:{PORT}", flush=True)
    web.run_app(build(), host="127.0.0.1", port=PORT, print=None)
