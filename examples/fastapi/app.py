"""FastAPI with Starlette's ``SessionMiddleware``: the session is the signed cookie, read-only.

Run: ``python examples/fastapi/app.py`` (``PORT``; no Redis needed). The socket server reads
the session the middleware signed; it cannot change it (a websocket cannot set a cookie), so
``incr`` answers ``{"error": "read-only"}``. For sessions sockets can write, see
examples/fastapi_store.
"""

from __future__ import annotations

import os
from typing import Any

import socketio
import uvicorn
from fastapi import FastAPI, Request
from starlette.middleware.sessions import SessionMiddleware

from sessio import SessionError, formats
from sessio.aio import AsyncSession, AsyncSessionSockets, MemoryStore

PORT = int(os.environ.get("PORT", "8000"))
SECRET = "change me"

api = FastAPI()
# The defaults: session_cookie="session", max_age=14 days (formats.starlette's key, max_age).
api.add_middleware(SessionMiddleware, secret_key=SECRET)


@api.get("/login")
async def login(user: str, request: Request) -> dict[str, Any]:
    request.session["user"] = user
    return {"user": user}


@api.get("/whoami")
async def whoami(request: Request) -> dict[str, Any]:
    return dict(request.session)


sio = socketio.AsyncServer(async_mode="asgi")
sessions = AsyncSessionSockets(
    sio,
    MemoryStore(),  # unused: the session is in the cookie
    formats.starlette(SECRET),  # secret_key, max_age, key (= session_cookie) as the middleware's
    require_session=True,
)


@sessions.on("incr")
async def incr(sid: str, session: AsyncSession) -> dict[str, Any]:
    try:
        session["count"] = session.get("count", 0) + 1  # raises: the cookie is read-only here
        await session.save()
    except SessionError as error:
        return {"error": error.code}
    return {"count": session["count"]}


app = socketio.ASGIApp(sio, other_asgi_app=api, on_startup=sessions.start)

if __name__ == "__main__":
    print(f"listening on http://127.0.0.1:{PORT}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
