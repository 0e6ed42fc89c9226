"""FastAPI with a session in Redis that sockets can write: sessio is the session layer.

Run: ``python examples/fastapi_store/app.py`` (``PORT``, ``REDIS_URL``). Starlette has no
server-side session of its own, so the HTTP routes use sessio too: ``/login`` stores a new
session (``sessions.create``) and sets its cookie, ``/whoami`` opens it (``open_session``).
Any store format works; this one is Flask-Session's Redis layout with a signed id and JSON
values, which a Flask app with the same settings could share.
"""

from __future__ import annotations

import os
from typing import Any

import redis.asyncio
import socketio
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from sessio import Failure, SessionError, formats
from sessio.aio import AsyncSession, AsyncSessionSockets, RedisStore, open_session, revoke

PORT = int(os.environ.get("PORT", "8000"))
REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
SECRET = "change me"

store = RedisStore(redis.asyncio.Redis.from_url(REDIS_URL))
fmt = formats.flask_session(secret_key=SECRET, use_signer=True, serializer="json")
sio = socketio.AsyncServer(async_mode="asgi")
sessions = AsyncSessionSockets(sio, store, fmt, require_session=True)
api = FastAPI()


@api.get("/login")
async def login(user: str, response: Response) -> dict[str, Any]:
    minted = await sessions.create({"user": user})
    name, _, value = minted.cookie.partition("=")
    response.set_cookie(name, value, httponly=True, samesite="lax")
    return {"user": user}


@api.get("/whoami", response_model=None)
async def whoami(request: Request) -> dict[str, Any] | JSONResponse:
    session = await open_session(request.headers.get("cookie"), store, fmt)
    if isinstance(session, Failure):
        return JSONResponse({"error": session.code}, status_code=401)
    return dict(session)


@api.get("/logout")
async def logout(request: Request, response: Response) -> dict[str, Any]:
    session = await open_session(request.headers.get("cookie"), store, fmt)
    if not isinstance(session, Failure) and session.id is not None:
        await revoke(store, fmt, session.id)  # gone from Redis, its sockets disconnected
    response.delete_cookie(fmt.key)
    return {"user": None}


@sessions.on("incr")
async def incr(sid: str, session: AsyncSession) -> dict[str, Any]:
    try:
        session["count"] = session.get("count", 0) + 1
        await session.save()
    except SessionError as error:
        return {"error": error.code}
    return {"count": session["count"]}


app = socketio.ASGIApp(sio, other_asgi_app=api, on_startup=sessions.start)

if __name__ == "__main__":
    print(f"listening on http://127.0.0.1:{PORT}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
