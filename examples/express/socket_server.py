"""The Python half of the Express example: python-socketio with the Express app's sessions.

Started by ``web.js`` (which passes ``/socket.io/`` on to it); on its own:
``SOCKET_PORT=8001 python examples/express/socket_server.py``. It reads the ``connect.sid``
cookie with express-session's secret and the session connect-redis wrote, and writes back.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import redis.asyncio
import socketio
import uvicorn

from sessio import SessionError, formats
from sessio.aio import AsyncSession, AsyncSessionSockets, RedisStore

PORT = int(os.environ.get("SOCKET_PORT", "8001"))
REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")

sio = socketio.AsyncServer(async_mode="asgi")
sessions = AsyncSessionSockets(
    sio,
    RedisStore(redis.asyncio.Redis.from_url(REDIS_URL)),  # the Redis connect-redis writes to
    formats.express(secrets=["change me"]),  # express-session's secret, name, prefix
    require_session=True,
)


@sessions.on("incr")
async def incr(sid: str, session: AsyncSession) -> dict[str, Any]:
    try:
        session["count"] = session.get("count", 0) + 1
        await session.save()
    except SessionError as error:
        return {"error": error.code}
    return {"count": session["count"]}


app = socketio.ASGIApp(sio, on_startup=sessions.start)

if __name__ == "__main__":
    # Bound before the line that web.js waits for: connections queue until uvicorn accepts.
    listening = socket.create_server(("127.0.0.1", PORT))
    print(f"socket.io listening on http://127.0.0.1:{PORT}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[listening])
