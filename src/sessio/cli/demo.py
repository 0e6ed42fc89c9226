"""``sessio demo``: a web app and a socket.io server sharing one Express-format session.

The app logs a user in over HTTP (``/login?user=NAME`` sets the ``connect.sid`` cookie),
shows the session at ``/whoami``, and its socket.io handlers read and write the same session.
Unless asked to keep serving, the demo then plays a browser against itself and prints what
happens, ending with ``demo ok``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import socketio

from sessio import formats
from sessio.aio import AsyncSession, AsyncSessionSockets, MemoryStore, open_session
from sessio.core import Failure, parse_cookie_header
from sessio.errors import SessionError

__all__ = ["build_app", "main", "play"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

SECRET = "keyboard cat"


def build_app() -> tuple[socketio.ASGIApp, AsyncSessionSockets]:
    """The demo's ASGI app (HTTP routes plus socket.io) and its `AsyncSessionSockets`."""
    sio = socketio.AsyncServer(async_mode="asgi")
    sessions = AsyncSessionSockets(sio, MemoryStore(), formats.express(secrets=[SECRET]))

    @sessions.on("connect")
    async def connect(err: Failure | None, sid: str, session: AsyncSession | None) -> bool:
        if err is not None or session is None:
            return False  # the client learns only that it was refused
        await sio.emit("greeting", f"hello, {session.get('user', 'stranger')}", to=sid)
        return True

    @sessions.on("count")
    async def count(sid: str, session: AsyncSession, step: int) -> int:
        session["count"] = session.get("count", 0) + int(step)
        await session.save()
        return int(session["count"])

    async def http(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        headers = [(b"content-type", b"application/json")]
        if scope["path"] == "/login":
            user = query.get("user", ["alice"])[0]
            minted = await sessions.create({"user": user})
            headers.append((b"set-cookie", f"{minted.cookie}; Path=/; HttpOnly".encode()))
            status, body = 200, {"user": user}
        elif scope["path"] == "/ticket":
            # A socket ticket for a client whose socket cannot carry the cookie (another
            # site, a native app): `io(url, {auth: (cb) => fetch("/ticket")...})`.
            cookie = b", ".join(v for k, v in scope["headers"] if k == b"cookie").decode("latin-1")
            value = parse_cookie_header(cookie).get(sessions.fmt.key, "")
            try:
                status, body = 200, {"ticket": await sessions.issue_ticket(value)}
            except SessionError as error:
                status, body = 401, {"error": error.code}
        elif scope["path"] == "/whoami":
            cookie = b", ".join(v for k, v in scope["headers"] if k == b"cookie").decode("latin-1")
            opened = await open_session(cookie, sessions.store, sessions.fmt, clock=sessions.clock)
            if isinstance(opened, Failure):
                status, body = 401, {"error": opened.code}
            else:
                status, body = 200, {"session": dict(opened)}
        else:
            status, body = 404, {"error": "not found"}
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    return socketio.ASGIApp(sio, http), sessions


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _get(url: str, cookie: str | None = None) -> tuple[int, dict[str, Any], str | None]:
    """GET `url` as a browser would: status, JSON body and the ``name=value`` it set."""
    import aiohttp

    headers = {"Cookie": cookie} if cookie else {}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        set_cookie = response.headers.get("Set-Cookie")
        body: dict[str, Any] = await response.json()
        return response.status, body, set_cookie.split(";")[0] if set_cookie else None


async def play(url: str, out: Callable[[str], None] = print) -> bool:
    """Act as a browser against the demo at `url`; True when everything matched."""
    status, body, cookie = await _get(f"{url}/login?user=alice")
    name = cookie.split("=")[0] if cookie else None
    out(f"HTTP  GET /login?user=alice -> {status} {body}, sets cookie {name}")
    if cookie is None:
        return False
    greeted: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    client = socketio.AsyncClient()

    def greeting_received(text: str) -> None:
        if not greeted.done():
            greeted.set_result(text)

    client.on("greeting", greeting_received)
    await client.connect(url, headers={"Cookie": cookie}, transports=["websocket"])
    out(f"WS    connected as {client.sid}")
    greeting = await asyncio.wait_for(greeted, 5)
    out(f"WS    <- greeting {greeting!r}")
    counts = [await client.call("count", 1, timeout=5) for _ in range(3)]
    out(f"WS    -> count x3, acks {counts}")
    await client.disconnect()
    # A client whose cookie cannot reach the socket server: a ticket, in the auth payload.
    status, ticket, _ = await _get(f"{url}/ticket", cookie)
    out(f"HTTP  GET /ticket -> {status} (a single-use ticket, 30 s)")
    client = socketio.AsyncClient()
    await client.connect(url, auth=ticket, transports=["websocket"])
    ticketed = await client.call("count", 0, timeout=5)
    out(f"WS    connected with the ticket and no cookie; count -> {ticketed}")
    await client.disconnect()
    status, body, _ = await _get(f"{url}/whoami", cookie)
    out(f"HTTP  GET /whoami -> {status} {body}")
    return (
        greeting == "hello, alice" and body.get("session", {}).get("count") == 3 and ticketed == 3
    )


async def _run(serve: bool, port: int | None) -> int:
    import uvicorn

    app, _ = build_app()
    port = port or _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            return 1
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{port}"
    print(f"sessio demo serving on {url} (login: {url}/login?user=NAME, then {url}/whoami)")
    try:
        if serve:
            await task
            return 0
        ok = await play(url)
    finally:
        server.should_exit = True
        await task
    print("demo ok" if ok else "demo FAILED")
    return 0 if ok else 1


def main(serve: bool = False, port: int | None = None) -> int:
    """Run the demo; with `serve`, keep serving until interrupted instead of playing it."""
    try:
        return asyncio.run(_run(serve, port))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main("--serve" in sys.argv))
