"""``sessio demo``: a web app and a socket.io server sharing one Express-format session.

The app logs a user in over HTTP (the page's form, or ``/login?user=NAME``: either sets the
``connect.sid`` cookie), shows the session at ``/whoami``, and its socket.io handlers read
and write the same session, message every tab of a session, and see logouts. ``--serve``
keeps it serving for a browser (the page at ``/``, `sessio.cli._demo_page`); otherwise the
demo plays a browser against itself and prints what happens, ending with ``demo ok``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

import socketio

from sessio import formats
from sessio.aio import AsyncSession, AsyncSessionSockets, MemoryStore
from sessio.cli._demo_page import http_app
from sessio.core import Failure

__all__ = ["build_app", "main", "play"]

SECRET = "keyboard cat"
logger = logging.getLogger("sessio.demo")


def build_app() -> tuple[socketio.ASGIApp, AsyncSessionSockets]:
    """The demo's ASGI app (HTTP routes plus socket.io) and its `AsyncSessionSockets`."""
    sio = socketio.AsyncServer(async_mode="asgi")
    sessions = AsyncSessionSockets(sio, MemoryStore(), formats.express(secrets=[SECRET]))

    @sessions.on("connect")
    async def connect(err: Failure | None, sid: str, session: AsyncSession | None) -> bool:
        if err is not None or session is None:
            return False  # the client learns only that it was refused
        await sio.emit("greeting", f"hello, {session.get('user', 'stranger')}", to=sid)
        await sio.emit("session", dict(session), to=sid)  # what this socket received
        return True

    @sessions.on("count")
    async def count(sid: str, session: AsyncSession, step: int) -> int:
        session["count"] = session.get("count", 0) + int(step)
        await session.save()
        return int(session["count"])

    @sessions.on("tell")
    async def tell(sid: str, session: AsyncSession, text: str) -> bool:
        # Every socket of this session: this tab and the others, on every node.
        assert session.id is not None
        news = {"from": session.get("user"), "text": str(text)[:200]}
        await sessions.emit_to_session(session.id, "news", news)
        return True

    @sessions.on("disconnect")
    async def disconnect(sid: str, session: AsyncSession | None, reason: str) -> None:
        logger.info("socket %s left: %s", sid, reason)

    return socketio.ASGIApp(sio, http_app(sessions)), sessions


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
    if serve:
        print(f"sessio demo serving on {url}: open it in a browser, then in a second tab")
    else:
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
