"""The apps the official client is tested against: one per shell, the same routes and events.

HTTP: ``/`` (a page that loads the official client), ``/socket.io.min.js`` (its build),
``/login?user=NAME`` (an Express-format session and its cookie), ``/session`` (the session
as HTTP reads it), ``POST /logout`` (every tab of the session disconnected). Socket.IO, with
``require_session``: ``whoami`` (the session), ``set`` (a key saved into it).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import socketio
from watch_browser import client_script

from sessio import Failure, formats
from sessio.aio import AsyncSession, AsyncSessionSockets
from sessio.aio import MemoryStore as AsyncMemoryStore
from sessio.aio import open_session as async_open_session
from sessio.sync import MemoryStore, Session, SessionSockets, open_session

FMT = formats.express(secrets=["keyboard cat"])
# Short pings: a polling client that leaves is noticed within a moment.
PING_INTERVAL, PING_TIMEOUT = 0.5, 2.5

PAGE = b"""<!doctype html>
<meta charset="utf-8">
<script src="/socket.io.min.js"></script>
<script>
  // Opens the page's socket; resolves with its id, or with what connect_error said.
  window.openSocket = (transports) => new Promise((resolve) => {
    const socket = io({ transports, reconnection: false, timeout: 5000 });
    window.socket = socket;
    window.disconnects = [];
    socket.on("disconnect", (reason) => window.disconnects.push(reason));
    socket.on("connect", () => resolve({
      id: socket.id, transport: socket.io.engine.transport.name,
    }));
    socket.on("connect_error", (error) => resolve({
      error: { message: error.message, data: error.data },
    }));
  });
</script>
"""
Route = tuple[int, str, bytes, list[tuple[str, str]]]


def _json(body: Any) -> tuple[str, bytes]:
    return "application/json", json.dumps(body).encode()


def _static(path: str) -> Route | None:
    if path == "/":
        return 200, "text/html; charset=utf-8", PAGE, []
    if path == "/socket.io.min.js":
        return 200, "text/javascript", client_script(), []
    return None


def _login_cookie(cookie: str) -> list[tuple[str, str]]:
    return [("Set-Cookie", f"{cookie}; Path=/; HttpOnly; SameSite=Lax")]


# -- the sync shell ------------------------------------------------------------------------


def sync_app() -> socketio.WSGIApp:
    """``socketio.Server`` (threading) with `SessionSockets`, and the routes, as WSGI."""
    sio = socketio.Server(
        async_mode="threading", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
    )
    store = MemoryStore()
    sessions = SessionSockets(sio, store, FMT, require_session=True)

    @sessions.on("whoami")
    def whoami(sid: str, session: Session) -> dict[str, Any]:
        return dict(session)

    @sessions.on("set")
    def set_key(sid: str, session: Session, key: str, value: Any) -> bool:
        session[key] = value
        session.save()
        return True

    def route(method: str, path: str, query: str, cookie: str | None) -> Route:
        static = _static(path)
        if static is not None:
            return static
        if path == "/login":
            minted = sessions.create({"user": parse_qs(query)["user"][0]})
            return 200, *_json({"ok": True}), _login_cookie(minted.cookie)
        opened = open_session(cookie, store, FMT)
        if isinstance(opened, Failure):
            return 401, *_json({"error": opened.code}), []
        if path == "/logout" and method == "POST":
            assert opened.id is not None
            opened.destroy()
            sessions.disconnect_session(opened.id)
            return 200, *_json({"ok": True}), []
        return 200, *_json(dict(opened)), []

    def http(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        status, kind, body, headers = route(
            environ["REQUEST_METHOD"],
            environ["PATH_INFO"],
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_COOKIE"),
        )
        start_response(f"{status} X", [("Content-Type", kind), *headers])
        return [body]

    return socketio.WSGIApp(sio, http)


# -- the async shell -----------------------------------------------------------------------

Scope = MutableMapping[str, Any]


def async_app() -> socketio.ASGIApp:
    """``socketio.AsyncServer`` with `AsyncSessionSockets`, and the same routes, as ASGI."""
    sio = socketio.AsyncServer(
        async_mode="asgi", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
    )
    store = AsyncMemoryStore()
    sessions = AsyncSessionSockets(sio, store, FMT, require_session=True)

    @sessions.on("whoami")
    async def whoami(sid: str, session: AsyncSession) -> dict[str, Any]:
        return dict(session)

    @sessions.on("set")
    async def set_key(sid: str, session: AsyncSession, key: str, value: Any) -> bool:
        session[key] = value
        await session.save()
        return True

    async def route(method: str, path: str, query: str, cookie: str | None) -> Route:
        static = _static(path)
        if static is not None:
            return static
        if path == "/login":
            minted = await sessions.create({"user": parse_qs(query)["user"][0]})
            return 200, *_json({"ok": True}), _login_cookie(minted.cookie)
        opened = await async_open_session(cookie, store, FMT)
        if isinstance(opened, Failure):
            return 401, *_json({"error": opened.code}), []
        if path == "/logout" and method == "POST":
            assert opened.id is not None
            await opened.destroy()
            await sessions.disconnect_session(opened.id)
            return 200, *_json({"ok": True}), []
        return 200, *_json(dict(opened)), []

    async def http(
        scope: Scope,
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        cookie = b"; ".join(v for k, v in scope["headers"] if k == b"cookie").decode("latin-1")
        status, kind, body, headers = await route(
            scope["method"], scope["path"], scope["query_string"].decode(), cookie or None
        )
        raw = [(b"content-type", kind.encode())]
        raw += [(name.lower().encode(), value.encode()) for name, value in headers]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    return socketio.ASGIApp(sio, http)
